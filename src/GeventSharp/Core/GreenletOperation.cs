using System.Threading.Tasks.Sources;

namespace GeventSharp;

/// <summary>
/// A library wait that has work to do after the wake (take the promised item, store the item,
/// turn a timeout into an exception), awaited by user code as a <see cref="ValueTask{TResult}"/>.
/// </summary>
/// <remarks>
/// <para>It wraps the greenlet's own wait (the greenlet is the <see cref="IValueTaskSource"/>), and
/// runs <see cref="Complete"/> inside <c>GetResult</c>, in the resumed greenlet. Unlike an async
/// method, it never posts its caller's continuation through the greenlet's synchronization context:
/// the caller resumes directly when the hub runs the greenlet, in the same turn as a plain wait,
/// and nothing is allocated (operations are pooled per thread and type).</para>
/// <para>Like any pooled <see cref="ValueTask"/>, the result may be awaited once.</para>
/// </remarks>
internal abstract class GreenletOperation<TResult> : IValueTaskSource<TResult>, IValueTaskSource
{
    private Greenlet? _greenlet;
    private short _token;

    /// <summary>The greenlet waiting (valid from <see cref="Suspend"/> until the result is read).</summary>
    protected Greenlet Greenlet => _greenlet!;

    /// <summary>The token of the greenlet's wait.</summary>
    protected short Token => _token;

    /// <summary>
    /// Suspends <paramref name="current"/> on <paramref name="list"/>; false (and
    /// <paramref name="early"/> holds the failure) if the wait could not start (a pending kill, a
    /// cancelled token). The caller then returns the operation to its pool.
    /// </summary>
    protected bool Suspend(Greenlet current, object waitingOn, WaitList list, long ticks, CancellationToken cancellationToken, out Exception? early)
    {
        ValueTask<bool> wait = current.SuspendOn(waitingOn, list, ticks, cancellationToken);
        if (wait.IsCompleted)
        {
            early = Failure(wait);
            return false;
        }

        _greenlet = current;
        _token = current._version;
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
    protected ValueTask<TResult> Pending => new(this, _token);

    /// <summary>The pending completion, for operations without a result.</summary>
    protected ValueTask PendingVoid => new(this, _token);

    /// <summary>Runs in the resumed greenlet: <paramref name="woken"/> is true if the primitive woke it, false on timeout.</summary>
    protected abstract TResult Complete(bool woken);

    /// <summary>Runs in the resumed greenlet when its wait was interrupted (kill, Timeout, token) before <see cref="Complete"/>.</summary>
    protected virtual void Interrupted()
    {
    }

    /// <summary>Clears references and returns the operation to its pool.</summary>
    protected abstract void ReturnToPool();

    private IValueTaskSource<bool> Source => _greenlet ?? throw new InvalidOperationException(
        "This library ValueTask was already awaited; like any pooled ValueTask it may be awaited once (call AsTask() to await it again).");

    ValueTaskSourceStatus IValueTaskSource<TResult>.GetStatus(short token) => Source.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => Source.GetStatus(token);

    void IValueTaskSource<TResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => Source.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => Source.OnCompleted(continuation, state, token, flags);

    TResult IValueTaskSource<TResult>.GetResult(short token) => GetResult(token);

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    private TResult GetResult(short token)
    {
        IValueTaskSource<bool> source = Source;
        if (token != _token)
        {
            // A stale ValueTask: this operation now serves another wait. Touch nothing.
            throw new InvalidOperationException("This library ValueTask was already awaited; it may be awaited once.");
        }

        bool woken;
        try
        {
            woken = source.GetResult(token);
        }
        catch
        {
            try
            {
                Interrupted();
            }
            finally
            {
                _greenlet = null;
                ReturnToPool();
            }

            throw;
        }

        try
        {
            return Complete(woken);
        }
        finally
        {
            _greenlet = null;
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
