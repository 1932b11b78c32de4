using System.Threading.Tasks.Sources;

namespace GeventSharp;

/// <summary>
/// A library wait that has work to do after the wake (take the promised item, store the item,
/// turn a timeout into an exception), awaited by user code as a <see cref="ValueTask{TResult}"/>.
/// </summary>
/// <remarks>
/// <para>It waits through the greenlet's own wait (<c>SuspendOn</c>; the greenlet is that wait's
/// <see cref="IValueTaskSource"/>) and registers itself as the wait's continuation. When the hub
/// resumes the greenlet, <see cref="Complete"/> runs in it and the outcome goes to a
/// <see cref="HubValueTaskSourceCore{TResult}"/>, which runs the caller's continuation inline.
/// Unlike an async method, it never posts its caller's continuation through the greenlet's
/// synchronization context: the caller resumes in the same hub step as a plain wait, and nothing
/// is allocated (operations are pooled per thread and type).</para>
/// <para>Like any pooled <see cref="ValueTask"/>, the result may be awaited once.</para>
/// </remarks>
internal abstract class GreenletOperation<TResult> : IValueTaskSource<TResult>, IValueTaskSource
{
    private readonly Action _onWake;
    private HubValueTaskSourceCore<TResult> _core;
    private ValueTask<bool> _wait;
    private WaitTicket _ticket;

    protected GreenletOperation() => _onWake = OnWake;

    /// <summary>The greenlet waiting (valid from <see cref="Suspend"/> until the result is read).</summary>
    protected Greenlet Greenlet => _ticket.Greenlet!;

    /// <summary>The greenlet's wait this operation is in (what a <see cref="WaitList"/> entry of it carries).</summary>
    protected WaitTicket Ticket => _ticket;

    /// <summary>
    /// Suspends <paramref name="current"/> on <paramref name="list"/>; false (and
    /// <paramref name="early"/> holds the failure) if the wait could not start (a pending kill, a
    /// cancelled token). The caller then returns the operation to its pool.
    /// </summary>
    protected bool Suspend(Greenlet current, object waitingOn, WaitList list, long ticks, CancellationToken cancellationToken, out Exception? early)
    {
        ValueTask<bool> wait = current.SuspendOn(waitingOn, list, ticks, cancellationToken, out WaitTicket ticket);
        if (wait.IsCompleted)
        {
            early = Failure(wait);
            return false;
        }

        _ticket = ticket;
        _core.Reset();
        _wait = wait;
        wait.GetAwaiter().UnsafeOnCompleted(_onWake);
        early = null;
        return true;
    }

    private static Exception Failure(ValueTask<bool> early)
    {
        try
        {
            early.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            return e;
        }

        return new InvalidOperationException("A greenlet wait completed before it started.");
    }

    /// <summary>The pending result, after a successful <see cref="Suspend"/>.</summary>
    protected ValueTask<TResult> Pending => new(this, _core.Version);

    /// <summary>The pending completion, for operations without a result.</summary>
    protected ValueTask PendingVoid => new(this, _core.Version);

    /// <summary>Runs in the resumed greenlet: <paramref name="woken"/> is true if the primitive woke it, false on timeout.</summary>
    protected abstract TResult Complete(bool woken);

    /// <summary>Runs in the resumed greenlet when its wait was interrupted (kill, Timeout, token) before <see cref="Complete"/>.</summary>
    protected virtual void Interrupted()
    {
    }

    /// <summary>Clears references and returns the operation to its pool.</summary>
    protected abstract void ReturnToPool();

    /// <summary>The greenlet resumed: finish the operation in it, then let the caller's continuation run.</summary>
    private void OnWake()
    {
        ValueTask<bool> wait = _wait;
        _wait = default;
        bool woken;
        try
        {
            woken = wait.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            // The wait itself failed (kill, Timeout, token): the primitive may have work to undo.
            Exception outcome = e;
            try
            {
                Interrupted();
            }
            catch (Exception undo)
            {
                outcome = undo;
            }

            _core.SetException(outcome);
            return;
        }

        TResult result;
        try
        {
            result = Complete(woken);
        }
        catch (Exception e)
        {
            _core.SetException(e);
            return;
        }

        _core.SetResult(result);
    }

    ValueTaskSourceStatus IValueTaskSource<TResult>.GetStatus(short token) => _core.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<TResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token);

    TResult IValueTaskSource<TResult>.GetResult(short token) => GetResult(token);

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    private TResult GetResult(short token)
    {
        if (token != _core.Version || !_core.IsCompleted)
        {
            // A stale ValueTask (this operation now serves another wait) or one read too early: touch nothing.
            return _core.GetResult(token);
        }

        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _ticket = default;
            ReturnToPool();
        }
    }
}

/// <summary>A per-thread pool of one operation type: waits in steady state allocate nothing.</summary>
internal static class OperationPool<TOperation>
    where TOperation : class, new()
{
    private const int MaxPooled = 4096;

    [ThreadStatic]
    private static Stack<TOperation>? t_pool;

    public static TOperation Rent() => t_pool is { Count: > 0 } pool ? pool.Pop() : new TOperation();

    public static void Return(TOperation operation)
    {
        Stack<TOperation> pool = t_pool ??= new Stack<TOperation>();
        if (pool.Count < MaxPooled)
        {
            pool.Push(operation);
        }
    }
}
