namespace GeventSharp;

/// <summary>How an idle hub sleeps until posted work, I/O readiness or its next timer.</summary>
internal interface IHubPoller : IDisposable
{
    /// <summary>Blocks the hub thread up to <paramref name="timeoutMilliseconds"/> (-1: no limit) or until <see cref="Wake"/>.</summary>
    void Wait(int timeoutMilliseconds);

    /// <summary>Wakes a hub blocked in <see cref="Wait"/>; callable from any thread.</summary>
    void Wake();

    /// <summary>True while I/O registrations could still wake a waiter.</summary>
    bool HasActiveIo { get; }
}

/// <summary>
/// What a higher layer registers with the hub's poller for one file descriptor: told of its
/// readiness events (epoll flags), on the hub thread, from inside <see cref="IHubPoller.Wait"/>.
/// </summary>
/// <remarks>
/// The sink decides what an edge means and whom it wakes; it must only schedule work (wake
/// greenlets), never run user code inline, since the hub is in the middle of its poll.
/// </remarks>
internal interface IReadinessSink
{
    /// <summary>The descriptor reported <paramref name="events"/> (<c>EPOLLIN</c>, <c>EPOLLOUT</c>, <c>EPOLLHUP</c>...).</summary>
    void OnEvents(uint events);
}

/// <summary>The poller without I/O: a semaphore that posting threads release.</summary>
/// <remarks>
/// A poster releases the semaphore only when no wake is pending, so a burst of posts costs one
/// release; the hub clears the pending flag after waking and before draining its inbox, so a post
/// that races with the drain either is drained or leaves a release behind (a spurious wake at worst).
/// </remarks>
internal sealed class SignalPoller : IHubPoller
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private int _wakePending;

    public bool HasActiveIo => false;

    public void Wait(int timeoutMilliseconds)
    {
        _signal.Wait(timeoutMilliseconds);
        Volatile.Write(ref _wakePending, 0);
    }

    public void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            _signal.Release();
        }
    }

    public void Dispose() => _signal.Dispose();
}
