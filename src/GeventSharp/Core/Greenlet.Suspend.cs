using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace GeventSharp;

/// <summary>The greenlet as its own waiter: every library wait suspends through here.</summary>
/// <remarks>
/// A greenlet waits on one thing at a time, so it is the <see cref="IValueTaskSource"/> behind
/// every <see cref="ValueTask"/> the library hands it: waits allocate nothing. The hub resumes
/// it by invoking the stored continuation; Kill and Timeout fail the current wait, so the
/// exception comes out of the <c>await</c> and <c>finally</c> blocks run.
/// </remarks>
public partial class Greenlet
{
    private short _waitVersion;

    // One field for what a wait needs at each stage. While waiting: the WaitList the greenlet is in
    // (which keeps what it waits on, for introspection), or, for a wait woken directly, what it waits
    // on (a waitable, "Sleep", a description). Once woken: null, the IWakeHandoff of the primitive
    // that woke it, or (Flags.WakeFailed) the exception the await raises, until it is read.
    private object? _waitSlot;

    /// <summary>What the greenlet is blocked on (a waitable, "Sleep", a description), or null.</summary>
    internal object? WaitingOn => _phase switch
    {
        GreenletState.Waiting => _waitSlot is WaitList list ? list.WaitingOn : _waitSlot,
        GreenletState.Foreign => "a foreign await (Task, stream, socket...)",
        _ => null,
    };

    /// <summary>
    /// Suspends the current greenlet (this) until woken through <paramref name="list"/>, the
    /// timeout elapses (result false), the token is cancelled, or it is killed.
    /// </summary>
    /// <param name="waitingOn">What it waits on, for introspection and <see cref="LoopExitException"/> messages.</param>
    /// <param name="list">The waiters of the primitive, or null for waits woken directly (sleep, collectors).</param>
    /// <param name="timeoutTicks">Hub timestamp ticks; negative means no timeout.</param>
    /// <param name="cancellationToken">Cancels the wait with <see cref="OperationCanceledException"/>.</param>
    internal ValueTask<bool> SuspendOn(object? waitingOn, WaitList? list, long timeoutTicks, CancellationToken cancellationToken)
    {
        if (!BeginWait(out ValueTask<bool> early, cancellationToken))
        {
            return early;
        }

        if (list is not null)
        {
            if (!ReferenceEquals(list.WaitingOn, waitingOn))
            {
                list.WaitingOn = waitingOn;
            }

            _waitSlot = list;
            list.Add(new WaitTicket(this, _waitVersion));
        }
        else
        {
            _waitSlot = waitingOn;
        }

        if (timeoutTicks >= 0)
        {
            HasWaitTimer = true;
            _homeHub.AddTimer(_homeHub.Now + timeoutTicks, this, _waitVersion);
        }

        if (cancellationToken.CanBeCanceled)
        {
            RareState.CancelRegistration = cancellationToken.UnsafeRegister(s_onWaitCancelled, new WaitCancellation(new WaitTicket(this, _waitVersion), cancellationToken));
        }

        return new ValueTask<bool>(this, _waitVersion);
    }

    /// <summary>
    /// <see cref="SuspendOn(object?, WaitList?, long, CancellationToken)"/> for a wait woken directly:
    /// <paramref name="ticket"/> wakes (or fails) this wait, and is empty if the wait did not start
    /// (it failed at once, or it ends the greenlet and never completes).
    /// </summary>
    internal ValueTask<bool> SuspendOn(object? waitingOn, WaitList? list, long timeoutTicks, CancellationToken cancellationToken, out WaitTicket ticket)
    {
        ValueTask<bool> wait = SuspendOn(waitingOn, list, timeoutTicks, cancellationToken);
        ticket = _phase == GreenletState.Waiting ? new WaitTicket(this, _waitVersion) : default;
        return wait;
    }

    /// <summary>A wait with no result (sleep, idle): the outcome of <see cref="SuspendOn(object?, WaitList?, long, CancellationToken)"/> as a plain <see cref="ValueTask"/>.</summary>
    internal ValueTask SuspendVoid(object waitingOn, WaitList? list, long timeoutTicks)
    {
        ValueTask<bool> wait = SuspendOn(waitingOn, list, timeoutTicks, default);
        return wait.IsCompleted ? new ValueTask(wait.AsTask()) : new ValueTask(this, _waitVersion);
    }

    /// <summary>True while this greenlet is blocked in its wait number <paramref name="version"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool IsWaiting(short version) => _phase == GreenletState.Waiting && _waitVersion == version;

    /// <summary>True while this greenlet was woken from its wait number <paramref name="version"/> and has not resumed yet.</summary>
    internal bool IsWokenAndNotResumed(short version) => _phase == GreenletState.Woken && _waitVersion == version;

    /// <summary>True while this greenlet is in its wait number <paramref name="version"/> and registered on <paramref name="list"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool IsWaitingIn(WaitList list, short version) => ReferenceEquals(_waitSlot, list) && _waitVersion == version;

    /// <summary>
    /// <see cref="Yield"/> for <see cref="Gevent.Yield"/>: the same wait, read through a struct
    /// awaiter instead of <see cref="ValueTask"/> (no interface calls on the hottest path).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal YieldAwaitable YieldDirect()
    {
        if (!BeginWait(out ValueTask<bool> early, default))
        {
            if (!early.IsCompleted)
            {
                return new YieldAwaitable(this, _waitVersion); // ends the greenlet: never completes
            }

            // A kill or timeout is waiting to be raised: complete at once with it.
            _waitVersion++;
            WaitDone = true;
            SetWakeException(early.AsTask().Exception?.InnerException ?? new InvalidOperationException("wait failed"));
            return new YieldAwaitable(this, _waitVersion);
        }

        _phase = GreenletState.Woken;
        WakeResult = true;
        _homeHub.EnqueueResume(this);
        return new YieldAwaitable(this, _waitVersion);
    }

    /// <summary>Puts the current greenlet (this) at the back of the ready queue: <c>Sleep(0)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal ValueTask Yield()
    {
        if (!BeginWait(out ValueTask<bool> early, default))
        {
            return YieldEarly(early);
        }

        _phase = GreenletState.Woken;
        WakeResult = true;
        _homeHub.EnqueueResume(this);
        return new ValueTask(this, _waitVersion);
    }

    /// <summary>What <see cref="Yield"/> returns when its wait could not start (a pending kill or timeout).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ValueTask YieldEarly(ValueTask<bool> early)
        => early.IsCompleted ? new ValueTask(early.AsTask()) : new ValueTask(this, _waitVersion);

    /// <summary>
    /// <see cref="Yield"/> for a greenlet that has just handed something over that cannot be taken
    /// back (a channel put taken by a waiting getter, which runs first, as in gevent): a kill or
    /// timeout that arrives before it resumes does not fail this yield but is raised at its next wait,
    /// and one already pending is left for that wait too.
    /// </summary>
    internal ValueTask YieldAfterHandoff()
    {
        if (_rare?.Deferred is { Exception: not null })
        {
            return default;
        }

        ValueTask wait = Yield();
        WakeStands = true;
        return wait;
    }

    /// <summary>
    /// Starts wait number <c>_waitVersion + 1</c>, or returns false with the outcome the wait has at
    /// once (<paramref name="early"/>). The usual case (running, nothing pending, no token) is the
    /// inlined part; everything else goes through <see cref="BeginWaitChecked"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool BeginWait(out ValueTask<bool> early, CancellationToken cancellationToken)
    {
        if (_phase != GreenletState.Running || !ReferenceEquals(_homeHub._current, this) || _rare is not null || cancellationToken.CanBeCanceled)
        {
            return BeginWaitChecked(out early, cancellationToken);
        }

        StartWait();
        early = default;
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool BeginWaitChecked(out ValueTask<bool> early, CancellationToken cancellationToken)
    {
        if (_phase != GreenletState.Running || !ReferenceEquals(_homeHub._current, this))
        {
            throw new InvalidOperationException(
                $"{this} is already waiting on {WaitingOn ?? "something"}: a greenlet waits on one thing at a time. " +
                "Await each library call before starting the next; use Gevent.JoinAllAsync or Gevent.WaitAsync to wait on several.");
        }

        if (MayInterrupt(_rare) && TryInterruptAtWait(_rare!, out early))
        {
            return false;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            early = ValueTask.FromCanceled<bool>(cancellationToken);
            return false;
        }

        StartWait();
        early = default;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StartWait()
    {
        _waitVersion++;
        _phase = GreenletState.Waiting;
        _flags &= ~(Flags.WaitDone | Flags.WakeFailed | Flags.WakeResult);
        _waitSlot = null;
    }

    /// <summary>The wait fails with <paramref name="exception"/>: its await raises it.</summary>
    private void SetWakeException(Exception exception)
    {
        _waitSlot = exception;
        _flags |= Flags.WakeFailed;
    }

    /// <summary>The exception the wait fails with, or null.</summary>
    private Exception? _wakeException => (_flags & Flags.WakeFailed) != 0 ? Unsafe.As<Exception>(_waitSlot) : null;

    /// <summary>The primitive that handed the woken greenlet something it may take back, or null.</summary>
    private IWakeHandoff? WakeHandoff => (_flags & Flags.WakeFailed) == 0 ? _waitSlot as IWakeHandoff : null;

    /// <summary>Called by a <see cref="WaitList"/> that removed this greenlet: schedule it to resume.</summary>
    internal void WakeFromList(bool result) => WakeFromList(result, null);

    /// <summary>
    /// Schedules this greenlet (just removed from a <see cref="WaitList"/>) to resume with
    /// <paramref name="result"/>. <paramref name="handoff"/>, if given, is told if the greenlet is
    /// killed (or interrupted by a <see cref="Timeout"/>) before it resumes, so a primitive that
    /// handed it something (an item, a permit) can take it back.
    /// </summary>
    internal void WakeFromList(bool result, IWakeHandoff? handoff)
    {
        Debug.Assert(_phase == GreenletState.Waiting);
        EndWaitExtras();
        _waitSlot = handoff; // out of the list
        WakeResult = result;
        _phase = GreenletState.Woken;
        _homeHub.EnqueueResume(this);
    }

    /// <summary>Wakes this greenlet from a direct wait (no list) if it is still in wait <paramref name="version"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool WakeDirect(short version, bool result)
    {
        if (_phase != GreenletState.Waiting || _waitVersion != version)
        {
            return false;
        }

        LeaveList();
        EndWaitExtras();
        WakeResult = result;
        _phase = GreenletState.Woken;
        _homeHub.EnqueueResume(this);
        return true;
    }

    /// <summary>Fails this greenlet's wait number <paramref name="version"/> with <paramref name="exception"/> if it is still in it.</summary>
    internal bool FailWait(short version, Exception exception)
    {
        if (!IsWaiting(version))
        {
            return false;
        }

        FailCurrentWait(exception);
        return true;
    }

    private void FailCurrentWait(Exception exception)
    {
        LeaveList();
        EndWaitExtras();
        SetWakeException(exception);
        _phase = GreenletState.Woken;
        _homeHub.EnqueueResume(this);
    }

    /// <summary>
    /// Raises <paramref name="exception"/> at the greenlet's current wait point (Kill, Timeout):
    /// a library wait fails at once; a foreign await gets its token cancelled and the exception
    /// is raised at the next library wait (or taken as the outcome if the body ends by cancellation).
    /// The greenlet's token is cancelled in every case.
    /// </summary>
    /// <param name="exception">What to raise.</param>
    /// <param name="depth">The shield depth it comes from (0: outside every shield, as a kill); a
    /// greenlet in a deeper shield gets it at its first wait after that shield.</param>
    internal void ThrowIn(Exception exception, int depth = 0)
    {
        if (depth < ShieldDepth)
        {
            Deferred.Set(exception, depth); // held off by the shield
            return;
        }

        switch (_phase)
        {
            case GreenletState.Waiting:
                FailCurrentWait(exception);
                CancelToken();
                break;
            case GreenletState.Woken:
                IWakeHandoff? handoff = WakeHandoff;
                if (handoff is not null)
                {
                    _waitSlot = null;
                }

                if (WakeStands || (handoff is not null && handoff.OnWakeAbandoned(this)))
                {
                    WakeStands = true;

                    // What the wake handed over cannot be taken back: the wake stands and the
                    // exception is raised at the next wait, as if it had arrived just after.
                    Deferred.Set(exception, depth);
                }
                else
                {
                    SetWakeException(exception);
                }

                CancelToken();

                break;
            case GreenletState.Foreign:
            case GreenletState.Posted:
            case GreenletState.Running:
                Deferred.Set(exception, depth);
                CancelToken();
                break;
            case GreenletState.Ending:
                break; // already ending
            default:
                Debug.Fail($"ThrowIn on a greenlet in state {_phase}");
                break;
        }
    }

    private void LeaveList()
    {
        // Leaves what it waited on (woken: the slot is for the wake's outcome now).
        if (_waitSlot is WaitList list)
        {
            // Leave first: NoteStale may compact the list, and the compaction must see this entry as stale.
            _waitSlot = null;
            list.NoteStale();
        }
        else
        {
            _waitSlot = null;
        }
    }

    private void EndWaitExtras()
    {
        if (HasWaitTimer)
        {
            HasWaitTimer = false;
            _homeHub.NoteTimerCancelled();
        }

        if (_rare is { } rare && rare.CancelRegistration != default)
        {
            rare.CancelRegistration.Dispose();
            rare.CancelRegistration = default;
        }
    }

    private void CancelToken()
    {
        CancellationTokenSource? cts = _rare?.Cts;
        if (cts is not null)
        {
            _rare!.Cts = null; // later foreign calls get a fresh token
            try
            {
                cts.Cancel();
            }
            catch (AggregateException e)
            {
                _homeHub.ReportError(this, e);
            }
        }
    }

    private static readonly Action<object?> s_onWaitCancelled = static state =>
    {
        var c = (WaitCancellation)state!;
        c.Ticket.Greenlet!._homeHub.PostInternal(static s =>
        {
            var c = (WaitCancellation)s!;
            if (c.Ticket.IsCurrent)
            {
                c.Ticket.TryFail(new OperationCanceledException(c.Token));
            }
        }, c);
    };

    private sealed record WaitCancellation(WaitTicket Ticket, CancellationToken Token);
}

/// <summary>
/// Implemented by a primitive that hands something to the greenlet it wakes (an item, a permit):
/// told when that greenlet is killed or interrupted after the wake but before it resumed.
/// </summary>
internal interface IWakeHandoff
{
    /// <summary>
    /// The woken <paramref name="greenlet"/> will not resume normally. Take back what was handed
    /// over and return false (the exception replaces the wake); or return true when it cannot be
    /// taken back (the wake stands and the exception is raised at the greenlet's next wait).
    /// </summary>
    bool OnWakeAbandoned(Greenlet greenlet);
}
