using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace GeventSharp;

/// <summary>How a suspended greenlet resumes: the hub runs its step, and its awaits read the outcome.</summary>
/// <remarks>
/// The greenlet is the <see cref="IValueTaskSource"/> behind every library <see cref="ValueTask"/>
/// (and the source of <see cref="YieldAwaitable"/>): the await parks its continuation here, and
/// <see cref="InvokeContinuation"/> invokes it when the hub reaches the greenlet in the ready queue.
/// </remarks>
public partial class Greenlet : IValueTaskSource, IValueTaskSource<bool>
{
    // The await continuation: its state here, and which delegate to call it with as a few bits of
    // _flags (Greenlet.Continuation.cs), not a field. The state is kept after use and only a flag is
    // cleared: an async method registers the same delegate and state machine box at every await, so
    // re-storing it is skipped and a switch pays a GC write barrier less. A YieldAwaitable's
    // continuation is a plain Action (the state machine's MoveNext): it is kept in _continuationState
    // and invoked directly (one delegate call, not two).
    private object? _continuationState;

    private static readonly Action<object?> s_invokeAction = static s => ((Action)s!)();

    /// <summary>
    /// The synchronization context the hub installs for this greenlet's steps: its own (created on
    /// first use), or for a synchronous body the hub's shared one (such a body never suspends, so a
    /// context of its own would be 32 bytes per greenlet for nothing; see <see cref="HubSynchronizationContext"/>).
    /// </summary>
    internal SynchronizationContext SyncContextForStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (SynchronizationContext?)_syncContext ?? ContextForFirstStep();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private SynchronizationContext ContextForFirstStep()
        => (_flags & Flags.SyncBody) != 0 ? _homeHub.SharedContext : SyncContext;

    /// <summary>
    /// Runs on the hub: the greenlet's turn in the ready queue, up to the continuation call. True if a
    /// parked continuation is to be invoked next (<see cref="InvokeContinuation"/>; the hub's step
    /// makes that call itself, see <c>Hub.RunStep</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal bool BeginStep()
    {
        if (_phase != GreenletState.Woken)
        {
            StepNotWoken();
            return false;
        }

        _phase = GreenletState.Running;
        Flags flags = (_flags | Flags.WaitDone) & ~Flags.WakeStands;
        _flags = flags;
        if ((flags & Flags.WakeFailed) == 0)
        {
            _waitSlot = null; // a handoff; a failure stays for the await to read
        }

        if ((flags & Flags.HasContinuation) == 0)
        {
            return false;
        }

        _flags = flags & ~Flags.HasContinuation;
        return true;
    }

    /// <summary>A step that is not a resume: the start of the body, or nothing (killed before start while queued).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void StepNotWoken()
    {
        if (_phase == GreenletState.StartPending)
        {
            StartBody();
        }
    }

    /// <summary>Drops the kept continuation so a dead greenlet does not hold its last state machine box.</summary>
    private void ForgetContinuation()
    {
        _flags &= ~(Flags.HasContinuation | Flags.ContinuationKind);
        _continuationState = null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool IsWaitDone(short token)
    {
        CheckToken(token);
        return WaitDone;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void SetActionContinuation(Action continuation, short token)
    {
        CheckToken(token);
        if (WaitDone)
        {
            _homeHub.EnqueueCallback(this, s_invokeAction, continuation);
            return;
        }

        if (!ReferenceEquals(_continuationState, continuation))
        {
            _continuationState = continuation;
        }

        _flags = (_flags & ~Flags.ContinuationKind) | Flags.HasContinuation; // kind 0: the Action itself
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void GetYieldResult(short token) => GetResultCore(token);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => GetStatusCore(token);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => GetStatusCore(token);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => OnCompletedCore(continuation, state, token);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => OnCompletedCore(continuation, state, token);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void IValueTaskSource.GetResult(short token) => GetResultCore(token);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    bool IValueTaskSource<bool>.GetResult(short token) => GetResultCore(token);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ValueTaskSourceStatus GetStatusCore(short token)
    {
        CheckToken(token);
        if (!WaitDone)
        {
            return ValueTaskSourceStatus.Pending;
        }

        return _wakeException switch
        {
            null => ValueTaskSourceStatus.Succeeded,
            OperationCanceledException => ValueTaskSourceStatus.Canceled,
            _ => ValueTaskSourceStatus.Faulted,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OnCompletedCore(Action<object?> continuation, object? state, short token)
    {
        CheckToken(token);
        if (WaitDone)
        {
            // Awaited after it completed (the ValueTask was stored): resume through the hub anyway.
            _homeHub.EnqueueCallback(this, continuation, state);
            return;
        }

        Flags kind = KindOf(continuation);
        if (kind == Flags.ContinuationPair)
        {
            state = new ContinuationPair(continuation, state);
        }

        if (!ReferenceEquals(_continuationState, state))
        {
            _continuationState = state;
        }

        _flags = (_flags & ~Flags.ContinuationKind) | kind | Flags.HasContinuation;
    }

    // The same steps as HubValueTaskSourceCore<bool>.GetResult, kept apart on purpose: this read and
    // OnCompletedCore run at every switch. The greenlet keeps its continuation across waits (see the
    // fields above) and its outcome in fields the wake and kill paths set directly; the shared core
    // clears the continuation and the error at every completion and read, which is several reference
    // writes (GC write barriers) more per switch.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool GetResultCore(short token)
    {
        CheckToken(token);
        if (!WaitDone)
        {
            ThrowReadBeforeCompleted();
        }

        _waitVersion++; // one read per wait
        Exception? error = _wakeException;
        if (error is not null)
        {
            _waitSlot = null;
            _flags &= ~Flags.WakeFailed;
            throw error;
        }

        return WakeResult;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckToken(short token)
    {
        if (token != _waitVersion)
        {
            ThrowStaleToken();
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowStaleToken()
        => throw new InvalidOperationException("This greenlet wait was already awaited, or belongs to an earlier wait; a library ValueTask may be awaited once.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowReadBeforeCompleted()
        => throw new InvalidOperationException("A greenlet wait was read before it completed; await library calls directly.");
}
