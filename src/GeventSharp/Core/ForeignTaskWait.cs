namespace GeventSharp;

/// <summary>
/// <see cref="Gevent.WaitAsync(Task, CancellationToken)"/>: a greenlet waits for a foreign task
/// through its own library wait, so a kill, a timeout or a token ends the wait at once.
/// </summary>
/// <remarks>
/// The task's completion posts a wake to the hub through the wait's ticket; a wait that was
/// interrupted meanwhile has a stale ticket, so the late wake does nothing. The task's exception is
/// read when it completes, whoever still waits, so it is never reported as unobserved. While the
/// greenlet waits, the hub stays alive (it may be woken from outside).
/// </remarks>
internal sealed class ForeignTaskWait
{
    private const string Description = "a foreign task (Gevent.WaitAsync)";

    private readonly Hub _hub;
    private readonly Task _task;
    private WaitTicket _ticket;

    private ForeignTaskWait(Hub hub, Task task)
    {
        _hub = hub;
        _task = task;
    }

    public static async ValueTask<T> WaitAsync<T>(Greenlet current, Task<T> task, CancellationToken cancellationToken)
    {
        await WaitForAsync(current, task, cancellationToken);
        return await task; // complete by now: the result or the exception, at once
    }

    public static async ValueTask WaitAsync(Greenlet current, Task task, CancellationToken cancellationToken)
    {
        await WaitForAsync(current, task, cancellationToken);
        await task; // complete by now: its exception, if any, at once
    }

    private static async ValueTask WaitForAsync(Greenlet current, Task task, CancellationToken cancellationToken)
    {
        var watch = new ForeignTaskWait(current.Hub, task);
        ValueTask<bool> wait = current.SuspendOn(Description, null, -1, cancellationToken, out watch._ticket);
        if (watch._ticket.Greenlet is null)
        {
            await wait; // raised at once (a pending kill, a cancelled token), or the greenlet ends here
            return;
        }

        watch._hub.AddKeepAlive();
        try
        {
            task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(watch.OnTaskCompleted);
            await wait;
        }
        finally
        {
            watch._hub.ReleaseKeepAlive();
        }
    }

    /// <summary>Any thread: the task completed. Observe its exception, then wake the waiter if it still waits.</summary>
    private void OnTaskCompleted()
    {
        _ = _task.Exception; // observed: a wait that was abandoned drops it, and the finalizer must not report it
        _hub.TryPostInternal(static s => ((ForeignTaskWait)s!)._ticket.TryWake(true), this);
    }
}
