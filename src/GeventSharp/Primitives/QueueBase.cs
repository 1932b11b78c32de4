using System.Diagnostics;

namespace GeventSharp;

/// <summary>
/// What every queue shares: <see cref="FifoQueue{T}"/> (FIFO), <see cref="LifoQueue{T}"/>,
/// <see cref="PriorityQueue{T}"/> and <see cref="JoinableQueue{T}"/> derive from it, and only they
/// can. Take a <see cref="QueueBase{T}"/> to accept any of the four (gevent's code takes any
/// subclass of <c>gevent.queue.Queue</c>); <see cref="Channel{T}"/> is the unbuffered kind.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <remarks>
/// <para><b>Fairness</b>: blocked getters are served in the order they started waiting, and so are
/// blocked putters. A put that finds a getter waiting promises the item to that getter and
/// schedules it (never runs it inline); <see cref="Count"/> does not include promised items.</para>
/// <para><b>Timeouts and kills leave nothing behind</b>: a getter that times out throws
/// <see cref="QueueEmptyException"/> and takes nothing; a putter that times out throws <see cref="QueueFullException"/> and
/// adds nothing. A getter killed (or interrupted by a <see cref="Timeout"/> or its token) while
/// waiting, or after an item was promised to it but before it ran, takes nothing: the item goes to
/// the next getter or stays queued. The same holds for putters and their room.</para>
/// <para><b>Not waiting</b>: <see cref="TryGet"/>, <see cref="TryPut"/> and <see cref="TryPeek"/>
/// return false instead of waiting (gevent's <c>get_nowait</c>, <c>put_nowait</c>, <c>peek_nowait</c>).</para>
/// <para><b>Shutdown</b> (<see cref="Shutdown"/>, as Python 3.13's <c>queue.shutdown</c>): blocked and
/// later putters throw <see cref="QueueShutDownException"/>; getters take what is left, then throw
/// <see cref="QueueShutDownException"/> — at once after an immediate shutdown, which discards the items.
/// <c>await foreach</c> over a queue ends when it is shut down and drained.</para>
/// <para>Not thread-safe: use it from greenlets of one hub.</para>
/// </remarks>
/// <example>
/// <code>
/// static void Drain(QueueBase&lt;int&gt; queue) // any of the four queues
/// {
///     while (queue.TryGet(out int item))
///     {
///         Console.WriteLine(item);
///     }
/// }
/// </code>
/// </example>
[DebuggerDisplay("{ToString(),nq}")]
public abstract class QueueBase<T> : IAsyncEnumerable<T>
{
    private readonly int? _maxsize;
    private Ring<T> _fifo; // created at the first store; the LIFO and priority variants keep their own
    private WaitList? _getters;
    private WaitList? _putters;
    private int _reservedGets;
    private int _reservedPuts;
    private bool _shutdown;
    private Handoff? _getterHandoff;
    private Handoff? _putterHandoff;

    /// <summary>Creates a queue holding at most <paramref name="maxsize"/> items; null (or 0, as in gevent) is unbounded.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxsize"/> is negative.</exception>
    private protected QueueBase(int? maxsize)
    {
        if (maxsize is { } m)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(m, nameof(maxsize));
        }

        _maxsize = maxsize is 0 ? null : maxsize;
    }

    /// <summary>The capacity, or null if unbounded.</summary>
    public int? MaxSize => _maxsize;

    /// <summary>Items a get would take now without waiting (gevent's <c>qsize()</c>; excludes items promised to woken getters).</summary>
    public int Count => Math.Max(0, StoredCount - _reservedGets);

    /// <summary>True if a get would have to wait.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>True if a put would have to wait.</summary>
    public bool IsFull => Room <= 0;

    /// <summary>True once <see cref="Shutdown"/> was called.</summary>
    public bool IsShutDown => _shutdown;

    /// <summary>Greenlets blocked in a get or a peek.</summary>
    public int GetterCount => _getters?.Count ?? 0;

    /// <summary>Greenlets blocked in a put.</summary>
    public int PutterCount => _putters?.Count ?? 0;

    private int Room => _maxsize is { } m ? m - StoredCount - _reservedPuts : int.MaxValue;

    private int Available => StoredCount - _reservedGets;

    // ---- storage (overridden by the LIFO and priority variants) ----

    /// <summary>Items held, including ones promised to woken getters.</summary>
    private protected virtual int StoredCount => _fifo.Count;

    /// <summary>Stores an item.</summary>
    private protected virtual void StoreItem(T item)
    {
        if (!_fifo.IsAllocated)
        {
            _fifo = new Ring<T>(4);
        }

        _fifo.Enqueue(item);
    }

    /// <summary>Removes and returns the next item.</summary>
    private protected virtual T TakeItem() => _fifo.Dequeue();

    /// <summary>Returns the next item without removing it.</summary>
    private protected virtual T PeekItem() => _fifo[0];

    /// <summary>Discards every item.</summary>
    private protected virtual void ClearItems() => _fifo.Clear();

    /// <summary>Called after an item was stored (JoinableQueue counts unfinished tasks here).</summary>
    private protected virtual void OnStored()
    {
    }

    /// <summary>Called after an immediate shutdown discarded <paramref name="count"/> items.</summary>
    private protected virtual void OnDiscarded(int count)
    {
    }

    // ---- put ----

    /// <summary>
    /// Adds <paramref name="item"/>. If the queue is full: waits until there is room, the timeout
    /// elapses (throws <see cref="QueueFullException"/>), or the token is cancelled. A zero timeout
    /// never blocks; <see cref="TryPut"/> is the form that does not wait.
    /// </summary>
    /// <exception cref="QueueFullException">The timeout elapsed with no room.</exception>
    /// <exception cref="QueueShutDownException">The queue is shut down.</exception>
    public ValueTask PutAsync(T item, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Hub.CurrentOrThrow("Queue.PutAsync");
        if (_shutdown)
        {
            throw new QueueShutDownException();
        }

        if (Room > 0)
        {
            Store(item);
            return default;
        }

        long ticks = BlockingCall.WaitTicksOrThrow<QueueFullException>("Queue.PutAsync", shutdown: false, timeout, out Greenlet current);

        return PutSlowAsync(current, item, ticks, cancellationToken);
    }

    /// <summary>Adds <paramref name="item"/>, waiting up to <paramref name="timeoutSeconds"/> for room; see <see cref="PutAsync(T, TimeSpan?, CancellationToken)"/>.</summary>
    public ValueTask PutAsync(T item, double timeoutSeconds, CancellationToken cancellationToken = default)
        => PutAsync(item, Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    /// <summary>Adds <paramref name="item"/> if there is room now and the queue is not shut down; never throws or blocks.</summary>
    public bool TryPut(T item)
    {
        Hub.CurrentOrThrow("Queue.TryPut");
        if (_shutdown || Room <= 0)
        {
            return false;
        }

        Store(item);
        return true;
    }

    private ValueTask PutSlowAsync(Greenlet current, T item, long ticks, CancellationToken cancellationToken)
        => OperationPool<PutOperation>.Rent().Start(this, current, item, ticks, cancellationToken);

    private void CompletePut(bool woken, T item)
    {
        if (woken)
        {
            _reservedPuts--; // the room promised by Pump is ours now
            if (_shutdown)
            {
                Pump();
                throw new QueueShutDownException();
            }

            Store(item);
            return;
        }

        throw _shutdown ? new QueueShutDownException() : new QueueFullException();
    }

    private void Store(T item)
    {
        StoreItem(item);
        OnStored();
        Pump();
    }

    // ---- get ----

    /// <summary>
    /// Removes and returns the next item. If there is none: waits until one arrives, the timeout
    /// elapses (throws <see cref="QueueEmptyException"/>), or the token is cancelled. A zero timeout
    /// never blocks; <see cref="TryGet"/> is the form that does not wait.
    /// </summary>
    /// <exception cref="QueueEmptyException">The timeout elapsed with no item.</exception>
    /// <exception cref="QueueShutDownException">The queue is shut down and has no items left.</exception>
    public ValueTask<T> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => GetOrPeekAsync("Queue.GetAsync", peek: false, timeout, cancellationToken);

    /// <summary>Takes the next item, waiting up to <paramref name="timeoutSeconds"/>; see <see cref="GetAsync(TimeSpan?, CancellationToken)"/>.</summary>
    public ValueTask<T> GetAsync(double timeoutSeconds, CancellationToken cancellationToken = default)
        => GetAsync(Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    /// <summary>Takes the next item if there is one now; never throws or blocks.</summary>
    public bool TryGet(out T item)
    {
        Hub.CurrentOrThrow("Queue.TryGet");
        return TryGetOrPeek(peek: false, out item);
    }

    /// <summary>
    /// The one path of the get/peek × wait/try grid (gevent's <c>__get_or_peek</c>): takes or
    /// looks at the next item if there is one, otherwise waits in the getters' line.
    /// </summary>
    private ValueTask<T> GetOrPeekAsync(string api, bool peek, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        Hub.CurrentOrThrow(api);
        if (TryGetOrPeek(peek, out T item))
        {
            return new ValueTask<T>(item);
        }

        long ticks = BlockingCall.WaitTicksOrThrow<QueueEmptyException>(api, _shutdown, timeout, out Greenlet current);
        return OperationPool<GetOperation>.Rent().Start(this, current, ticks, cancellationToken, peek);
    }

    /// <summary>Takes (or looks at) the next item if one is available now.</summary>
    private bool TryGetOrPeek(bool peek, out T item)
    {
        if (Available <= 0)
        {
            item = default!;
            return false;
        }

        item = peek ? PeekItem() : Take();
        return true;
    }

    private T CompleteGet(bool woken, bool peek)
    {
        if (woken)
        {
            _reservedGets--; // the item promised by Pump
            if (StoredCount > 0)
            {
                if (!peek)
                {
                    return Take();
                }

                T head = PeekItem();
                Pump(); // a peeker waits in the getters' line; it passes the promise on
                return head;
            }

            throw new QueueShutDownException(); // an immediate shutdown discarded it
        }

        throw _shutdown ? new QueueShutDownException() : new QueueEmptyException();
    }

    private T Take()
    {
        T item = TakeItem();
        Pump();
        return item;
    }

    // ---- peek ----

    /// <summary>
    /// Returns the next item without removing it, waiting for one as
    /// <see cref="GetAsync(TimeSpan?, CancellationToken)"/> does. A blocked peeker waits in
    /// line with the getters; when its turn comes it looks at the item and passes it on to the
    /// next getter. <see cref="TryPeek"/> is the form that does not wait.
    /// </summary>
    /// <exception cref="QueueEmptyException">The timeout elapsed with no item.</exception>
    /// <exception cref="QueueShutDownException">The queue is shut down and has no items left.</exception>
    public ValueTask<T> PeekAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => GetOrPeekAsync("Queue.PeekAsync", peek: true, timeout, cancellationToken);

    /// <summary>Returns the next item without removing it, waiting up to <paramref name="timeoutSeconds"/>; see <see cref="PeekAsync(TimeSpan?, CancellationToken)"/>.</summary>
    public ValueTask<T> PeekAsync(double timeoutSeconds, CancellationToken cancellationToken = default)
        => PeekAsync(Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    /// <summary>Returns the next item without removing it, if there is one; never throws or blocks.</summary>
    public bool TryPeek(out T item)
    {
        Hub.CurrentOrThrow("Queue.TryPeek");
        return TryGetOrPeek(peek: true, out item);
    }

    // ---- shutdown, iteration ----

    /// <summary>
    /// Shuts the queue down: blocked and later putters throw <see cref="QueueShutDownException"/>; getters take
    /// the items left, then throw <see cref="QueueShutDownException"/>. With <paramref name="immediate"/>, the
    /// items are discarded and getters throw at once. Calling it again does no harm.
    /// </summary>
    public void Shutdown(bool immediate = false)
    {
        Hub.CurrentOrThrow("Queue.Shutdown");
        _shutdown = true;
        if (immediate)
        {
            int n = StoredCount;
            ClearItems();
            OnDiscarded(n);
        }

        // Waiting getters exist only when every stored item is promised to a woken getter.
        _putters?.WakeAll(false);
        _getters?.WakeAll(false);
    }

    /// <summary>
    /// Takes items as they arrive, until the queue is shut down and drained (<c>await foreach</c>).
    /// </summary>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        => BlockingCall.TakeUntilShutDown(token => GetAsync(null, token), cancellationToken);

    // ---- fairness ----

    /// <summary>Promises available items to waiting getters and free room to waiting putters, in FIFO order.</summary>
    private void Pump()
    {
        if (_getters is { Count: > 0 } getters)
        {
            while (Available > 0 && getters.Dequeue() is { } g)
            {
                _reservedGets++;
                g.WakeFromList(true, _getterHandoff ??= new Handoff(this, getter: true));
            }
        }

        if (_putters is { Count: > 0 } putters)
        {
            while (Room > 0 && putters.Dequeue() is { } p)
            {
                _reservedPuts++;
                p.WakeFromList(true, _putterHandoff ??= new Handoff(this, getter: false));
            }
        }
    }

    /// <summary>A blocked get (or peek): takes (or looks at) the promised item when the getter resumes.</summary>
    private sealed class GetOperation : GreenletOperation<T>
    {
        private QueueBase<T>? _queue;
        private bool _peek;

        public ValueTask<T> Start(QueueBase<T> queue, Greenlet current, long ticks, CancellationToken cancellationToken, bool peek)
        {
            _queue = queue;
            _peek = peek;
            if (!Suspend(current, queue, queue._getters ??= new WaitList(), ticks, cancellationToken, out Exception? early))
            {
                ReturnToPool();
                return ValueTask.FromException<T>(early!);
            }

            return Pending;
        }

        protected override T Complete(bool woken) => _queue!.CompleteGet(woken, _peek);

        protected override void ReturnToPool()
        {
            _queue = null;
            OperationPool<GetOperation>.Return(this);
        }
    }

    /// <summary>A blocked put: stores the item in the promised room when the putter resumes.</summary>
    private sealed class PutOperation : GreenletOperation<bool>
    {
        private QueueBase<T>? _queue;
        private T _item = default!;

        public ValueTask Start(QueueBase<T> queue, Greenlet current, T item, long ticks, CancellationToken cancellationToken)
        {
            _queue = queue;
            _item = item;
            if (!Suspend(current, queue, queue._putters ??= new WaitList(), ticks, cancellationToken, out Exception? early))
            {
                ReturnToPool();
                return ValueTask.FromException(early!);
            }

            return PendingVoid;
        }

        protected override bool Complete(bool woken)
        {
            _queue!.CompletePut(woken, _item);
            return true;
        }

        protected override void ReturnToPool()
        {
            _queue = null;
            _item = default!;
            OperationPool<PutOperation>.Return(this);
        }
    }

    /// <summary>Takes back what was promised to a woken getter or putter that was killed before it ran.</summary>
    private sealed class Handoff(QueueBase<T> queue, bool getter) : IWakeHandoff
    {
        public bool OnWakeAbandoned(Greenlet greenlet)
        {
            if (getter)
            {
                queue._reservedGets--;
            }
            else
            {
                queue._reservedPuts--;
            }

            queue.Pump();
            return false;
        }
    }

    /// <summary>Like <c>&lt;FifoQueue&lt;Int32&gt; 3/10 items, 0 getters, 2 putters&gt;</c>.</summary>
    public override string ToString()
    {
        string name = GetType().Name;
        int tick = name.IndexOf('`');
        name = tick > 0 ? name[..tick] : name;
        string size = _maxsize is { } m ? $"{Count}/{m}" : Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string state = _shutdown ? ", shut down" : string.Empty;
        return $"<{name}<{typeof(T).Name}> {size} items, {GetterCount} getters, {PutterCount} putters{state}{ExtraState}>";
    }

    /// <summary>More state for <see cref="ToString"/>, e.g. unfinished tasks.</summary>
    private protected virtual string ExtraState => string.Empty;
}
