using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;

namespace GeventSharp;

/// <summary>
/// The awaitable half of a pooled library operation that completes on the hub: the token, the
/// outcome and the awaiting continuation, behind an <see cref="IValueTaskSource{TResult}"/> that
/// forwards to it. Shared by <see cref="GreenletOperation{TResult}"/> (queue, channel, lock waits)
/// and the green socket's slow path.
/// </summary>
/// <remarks>
/// <para>Like <see cref="ManualResetValueTaskSourceCore{TResult}"/>, but made for the hub: an
/// operation completes inside its waiting greenlet's own hub step (after the greenlet's wait
/// resumed it), so <see cref="SetResult"/> runs the awaiting continuation inline. The runtime's
/// core would instead queue it to the captured synchronization context, the greenlet's, which
/// costs an allocation and a second trip through the ready queue for every completion.</para>
/// <para>A token is good for one <see cref="GetResult"/>: reading the outcome moves the version
/// on, so a stale <see cref="ValueTask"/> of a reused operation fails loudly instead of reading
/// another wait's result. Hub thread only.</para>
/// </remarks>
internal struct HubValueTaskSourceCore<TResult>
{
    private Action<object?>? _continuation;
    private object? _continuationState;
    private ExceptionDispatchInfo? _error;
    private TResult _result;
    private short _version;
    private bool _completed;

    /// <summary>The token of the pending operation's <see cref="ValueTask"/>.</summary>
    public readonly short Version => _version;

    /// <summary>True once the outcome is set (until it is read).</summary>
    public readonly bool IsCompleted => _completed;

    /// <summary>Starts a new operation: pending, no outcome. Hand out a ValueTask with <see cref="Version"/>.</summary>
    public void Reset()
    {
        _completed = false;
        _error = null;
        _result = default!;
    }

    /// <summary>Records the outcome and runs the awaiting continuation inline, if one is registered.</summary>
    public void SetResult(TResult result)
    {
        _result = result;
        _completed = true;
        InvokeContinuation();
    }

    /// <summary>Records a failure and runs the awaiting continuation inline, if one is registered.</summary>
    public void SetException(Exception error)
    {
        _error = ExceptionDispatchInfo.Capture(error);
        _completed = true;
        InvokeContinuation();
    }

    /// <summary>
    /// For an operation that completed before anyone could await it: takes the outcome as a plain
    /// <see cref="ValueTask{TResult}"/> and retires the token.
    /// </summary>
    public ValueTask<TResult> TakeCompleted()
    {
        ExceptionDispatchInfo? error = _error;
        TResult result = _result;
        Retire();
        return error is null ? new ValueTask<TResult>(result) : ValueTask.FromException<TResult>(error.SourceException);
    }

    public readonly ValueTaskSourceStatus GetStatus(short token)
    {
        CheckToken(token);
        return !_completed ? ValueTaskSourceStatus.Pending
            : _error is null ? ValueTaskSourceStatus.Succeeded
            : _error.SourceException is OperationCanceledException ? ValueTaskSourceStatus.Canceled
            : ValueTaskSourceStatus.Faulted;
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token)
    {
        CheckToken(token);
        if (_completed)
        {
            continuation(state); // awaited late (a stored ValueTask): the caller is on the hub already
            return;
        }

        _continuation = continuation;
        _continuationState = state;
    }

    public TResult GetResult(short token)
    {
        CheckToken(token);
        if (!_completed)
        {
            throw new InvalidOperationException("A library ValueTask was read before it completed; await it directly.");
        }

        ExceptionDispatchInfo? error = _error;
        TResult result = _result;
        Retire();
        error?.Throw();
        return result;
    }

    private void Retire()
    {
        _version++;
        _completed = false;
        _error = null;
        _result = default!;
    }

    private void InvokeContinuation()
    {
        Action<object?>? c = _continuation;
        if (c is null)
        {
            return;
        }

        object? s = _continuationState;
        _continuation = null;
        _continuationState = null;
        c(s);
    }

    private readonly void CheckToken(short token)
    {
        if (token != _version)
        {
            throw new InvalidOperationException(
                "This library ValueTask was already awaited; like any pooled ValueTask it may be awaited once (call AsTask() to await it again).");
        }
    }
}
