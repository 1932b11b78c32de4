namespace GeventSharp;

/// <summary>
/// A bounded FIFO queue that greenlets on different hubs (threads) share safely: a waiting get or
/// put parks only its own greenlet, and the other side wakes it by posting to the waiter's hub.
/// </summary>
/// <remarks>
/// <para>Every other primitive belongs to the hub that made it; this one belongs to none. Its state
/// is guarded by a lock held only for a few field updates, so neither side busy-waits and neither
/// hub's loop is blocked. Items leave in the order they were put; waiters are served in the order
/// they came (a woken waiter that finds the item already taken waits again at the back).</para>
/// <para><see cref="Shutdown(bool)"/> works as on the queues: puts fail at once, gets drain what is
/// left (nothing, when immediate) and then throw <see cref="QueueShutDownException"/>; every
/// waiter on every hub is woken.</para>
/// <para>A greenlet waiting here keeps its hub alive (another thread may still wake it), so a
/// hub whose only greenlet waits on this queue is not taken for a deadlock.</para>
/// <para><see cref="TryPut"/>, <see cref="TryGet"/>, <see cref="Count"/> and <see cref="Shutdown"/>
/// may be called from any thread, on a hub or not; the waiting forms need a greenlet.</para>
/// </remarks>
/// <example>
/// <code>
/// var jobs = new CrossHubQueue&lt;int&gt;(maxSize: 100);
/// var worker = new Thread(() =&gt; Gevent.Run(async () =&gt;
/// {
///     await foreach (int job in jobs)
///     {
///         Console.WriteLine($"job {job} on {Thread.CurrentThread.Name}");
///     }
/// })) { Name = "worker hub" };
/// worker.Start();
/// Gevent.Run(async () =&gt;
/// {
///     for (int i = 0; i &lt; 3; i++)
///     {
///         await jobs.PutAsync(i); // waits cooperatively while the queue is full
///     }
///
///     jobs.Shutdown(); // the worker drains the rest, then its loop ends
/// });
/// worker.Join();
/// </code>
/// </example>
public sealed class CrossHubQueue<T> : IAsyncEnumerable<T>
{
    private readonly object _lock = new();
    private readonly Queue<T> _items = new();
    private readonly LinkedList<Waiter> _getters = new();
    private readonly LinkedList<Waiter> _putters = new();
    private readonly int _maxSize;
    private bool _shutdown;

    /// <summary>Creates a queue holding at most <paramref name="maxSize"/> items.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSize"/> is less than 1.</exception>
    public CrossHubQueue(int maxSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSize, 1);
        _maxSize = maxSize;
    }

    /// <summary>The most items the queue holds.</summary>
    public int MaxSize => _maxSize;

    /// <summary>Items in the queue now (a snapshot: other hubs may change it at once).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>Greenlets (on any hub) waiting to get now.</summary>
    public int GetterCount
    {
        get
        {
            lock (_lock)
            {
                return _getters.Count;
            }
        }
    }

    /// <summary>Greenlets (on any hub) waiting to put now.</summary>
    public int PutterCount
    {
        get
        {
            lock (_lock)
            {
                return _putters.Count;
            }
        }
    }

    /// <summary>True once <see cref="Shutdown(bool)"/> was called.</summary>
    public bool IsShutDown => Volatile.Read(ref _shutdown);

    /// <summary>
    /// Adds <paramref name="item"/>, waiting (this greenlet only) while the queue is full, until the
    /// timeout elapses (<see cref="QueueFullException"/>) or the token is cancelled.
    /// </summary>
    /// <exception cref="QueueFullException">The timeout elapsed with no room.</exception>
    /// <exception cref="QueueShutDownException">The queue is shut down.</exception>
    /// <exception cref="InvalidOperationException">Called outside a greenlet while the queue is full.</exception>
    public async ValueTask PutAsync(T item, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Waiter waiter;
            lock (_lock)
            {
                if (_shutdown)
                {
                    throw new QueueShutDownException();
                }

                if (_items.Count < _maxSize)
                {
                    _items.Enqueue(item);
                    WakeFirst(_getters);
                    return;
                }

                waiter = Enlist(_putters, "CrossHubQueue.PutAsync");
            }

            if (!await WaitAsync(waiter, _putters, timeout, cancellationToken))
            {
                throw new QueueFullException();
            }
        }
    }

    /// <summary>Adds <paramref name="item"/>, waiting up to <paramref name="timeoutSeconds"/> for room; see <see cref="PutAsync(T, TimeSpan?, CancellationToken)"/>.</summary>
    public ValueTask PutAsync(T item, double timeoutSeconds, CancellationToken cancellationToken = default)
        => PutAsync(item, Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    /// <summary>Adds <paramref name="item"/> if there is room now and the queue is not shut down; never blocks. Any thread.</summary>
    public bool TryPut(T item)
    {
        lock (_lock)
        {
            if (_shutdown || _items.Count >= _maxSize)
            {
                return false;
            }

            _items.Enqueue(item);
            WakeFirst(_getters);
            return true;
        }
    }

    /// <summary>
    /// Removes and returns the oldest item, waiting (this greenlet only) while the queue is empty,
    /// until the timeout elapses (<see cref="QueueEmptyException"/>) or the token is cancelled.
    /// </summary>
    /// <exception cref="QueueEmptyException">The timeout elapsed with no item.</exception>
    /// <exception cref="QueueShutDownException">The queue is shut down and empty.</exception>
    /// <exception cref="InvalidOperationException">Called outside a greenlet while the queue is empty.</exception>
    public async ValueTask<T> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Waiter waiter;
            lock (_lock)
            {
                if (_items.Count > 0)
                {
                    T item = _items.Dequeue();
                    WakeFirst(_putters);
                    return item;
                }

                if (_shutdown)
                {
                    throw new QueueShutDownException();
                }

                waiter = Enlist(_getters, "CrossHubQueue.GetAsync");
            }

            if (!await WaitAsync(waiter, _getters, timeout, cancellationToken))
            {
                throw new QueueEmptyException();
            }
        }
    }

    /// <summary>Removes the oldest item, waiting up to <paramref name="timeoutSeconds"/>; see <see cref="GetAsync(TimeSpan?, CancellationToken)"/>.</summary>
    public ValueTask<T> GetAsync(double timeoutSeconds, CancellationToken cancellationToken = default)
        => GetAsync(Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    /// <summary>Removes the oldest item if there is one; never blocks. Any thread.</summary>
    public bool TryGet(out T item)
    {
        lock (_lock)
        {
            if (_items.TryDequeue(out item!))
            {
                WakeFirst(_putters);
                return true;
            }

            return false;
        }
    }

    /// <summary>
    /// Shuts the queue down (Python 3.13's <c>Queue.shutdown</c>): puts fail from now on; gets take
    /// what is left, or nothing when <paramref name="immediate"/> (the items are dropped), and then
    /// throw <see cref="QueueShutDownException"/>. Wakes every waiter on every hub. Any thread.
    /// </summary>
    public void Shutdown(bool immediate = false)
    {
        lock (_lock)
        {
            _shutdown = true;
            if (immediate)
            {
                _items.Clear();
            }

            while (WakeFirst(_getters) || WakeFirst(_putters))
            {
            }
        }
    }

    /// <summary>Gets items until the queue is shut down and drained.</summary>
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            T item;
            try
            {
                item = await GetAsync(cancellationToken: cancellationToken);
            }
            catch (QueueShutDownException)
            {
                yield break;
            }

            yield return item;
        }
    }

    /// <summary>Like <c>&lt;CrossHubQueue 3/100&gt;</c>.</summary>
    public override string ToString() => $"<CrossHubQueue {Count}/{_maxSize}{(IsShutDown ? " shut down" : "")}>";

    /// <summary>Called under the lock: the caller's greenlet joins the line of waiters.</summary>
    private static Waiter Enlist(LinkedList<Waiter> line, string api)
    {
        Hub hub = Hub.CurrentOrThrow(api);
        Hub.CurrentGreenletOrThrow(api);
        var waiter = new Waiter(hub);
        waiter.Node = line.AddLast(waiter);
        return waiter;
    }

    /// <summary>Called under the lock: wakes the first waiter of <paramref name="line"/>, if any, on its own hub.</summary>
    private static bool WakeFirst(LinkedList<Waiter> line)
    {
        if (line.First is not { } node)
        {
            return false;
        }

        line.RemoveFirst();
        Waiter waiter = node.Value;
        waiter.Node = null;
        waiter.Woken = true;
        waiter.Hub.TryPostInternal(static s => ((Event)s!).Set(), waiter.Signal); // a finished hub has no waiter left to wake
        return true;
    }

    /// <summary>Parks the greenlet until woken; false at the timeout. A wake it cannot use any more goes to the next waiter.</summary>
    private async ValueTask<bool> WaitAsync(Waiter waiter, LinkedList<Waiter> line, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        waiter.Hub.AddKeepAlive(); // another thread may wake us: the hub must not call this a deadlock
        bool woken = false;
        try
        {
            woken = await waiter.Signal.WaitAsync(timeout, cancellationToken);
            return woken;
        }
        finally
        {
            waiter.Hub.ReleaseKeepAlive();
            if (!woken)
            {
                lock (_lock)
                {
                    if (waiter.Node is { } node)
                    {
                        line.Remove(node);
                        waiter.Node = null;
                    }
                    else if (waiter.Woken)
                    {
                        WakeFirst(line); // woken while leaving (timeout, kill): pass the turn on
                    }
                }
            }
        }
    }

    private sealed class Waiter(Hub hub)
    {
        public readonly Hub Hub = hub;
        public readonly Event Signal = new();
        public LinkedListNode<Waiter>? Node;
        public bool Woken;
    }
}
