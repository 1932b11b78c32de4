using System.Diagnostics;

namespace GeventSharp;

/// <summary>
/// An unbuffered queue: a put completes only when a getter takes the item (a rendezvous;
/// gevent's <c>gevent.queue.Channel</c>, Go's unbuffered channel).
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <remarks>
/// <para>A put that finds a getter waiting hands the item to it (the getter is scheduled, the
/// putter returns at once); otherwise the putter waits until a getter comes. A get that finds a
/// putter waiting takes its item at once and schedules the putter. Getters and putters are each
/// served in the order they started waiting.</para>
/// <para><see cref="TryPut"/> succeeds only if a getter is waiting; <see cref="TryGet"/> only if
/// a putter is waiting.</para>
/// <para>Kills and timeouts: a putter that times out or is killed while waiting has delivered
/// nothing. A putter whose item was taken has delivered it, even if it is killed before it runs
/// again: the kill is then raised at its next wait. A getter killed after an item was handed to
/// it but before it ran takes nothing: the item goes to the next waiting getter, or is kept for
/// the next get (the only case where a channel holds an item).</para>
/// <para><see cref="Shutdown"/>: blocked and later putters throw <see cref="QueueShutDownException"/>, and so do
/// getters once nothing is left to take. <c>await foreach</c> ends there.</para>
/// <para>Name clash: <c>System.Threading.Channels.Channel&lt;T&gt;</c> is a different type; if you
/// import both namespaces, write <c>using Channel = GeventSharp.Channel&lt;int&gt;;</c> or qualify it.</para>
/// </remarks>
/// <example>
/// <code>
/// var ch = new Channel&lt;string&gt;();
/// Gevent.Spawn(async () =&gt; Console.WriteLine(await ch.GetAsync()));
/// await ch.PutAsync("ping"); // returns once the getter has it
/// </code>
/// </example>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class Channel<T> : IAsyncEnumerable<T>, IWakeHandoff
{
    private Ring<T> _handed = new(4); // items handed to woken getters (or orphaned)
    private WaitList? _getters;
    private WaitList? _putters; // each entry carries its PutOperation, which holds the item
    private int _reservedGets;
    private bool _shutdown;
    private PutterHandoff? _putterHandoff;

    /// <summary>Creates a channel.</summary>
    public Channel()
    {
    }

    /// <summary>Always 0: a channel stores nothing.</summary>
    public int MaxSize => 0;

    /// <summary>Items a get would take now without waiting: one per waiting putter (plus, rarely, an item orphaned by a killed getter).</summary>
    public int Count => Orphans + PutterCount;

    /// <summary>
    /// Always true, as gevent's <c>Channel.empty()</c>: a channel holds no items. Whether a get would
    /// wait now is <c><see cref="Count"/> == 0</c> (no putter waiting).
    /// </summary>
    public bool IsEmpty => true;

    /// <summary>
    /// Always true, as gevent's <c>Channel.full()</c>: a channel has no room. Whether a put would
    /// wait now is <c><see cref="GetterCount"/> == 0</c> (no getter waiting).
    /// </summary>
    public bool IsFull => true;

    /// <summary>Waiting putters minus waiting getters (gevent's <c>balance</c>).</summary>
    public int Balance => PutterCount - GetterCount;

    /// <summary>True once <see cref="Shutdown"/> was called.</summary>
    public bool IsShutDown => _shutdown;

    /// <summary>Greenlets blocked in a get.</summary>
    public int GetterCount => _getters?.Count ?? 0;

    /// <summary>Greenlets blocked in a put.</summary>
    public int PutterCount => _putters?.Count ?? 0;

    private int Orphans => Math.Max(0, _handed.Count - _reservedGets);

    // ---- put ----

    /// <summary>
    /// Hands <paramref name="item"/> to a getter: at once if one is waiting, otherwise waits until
    /// one comes, the timeout elapses (throws <see cref="QueueFullException"/>), or the token is
    /// cancelled. A zero timeout never blocks; <see cref="TryPut"/> is the form that does not wait.
    /// </summary>
    /// <exception cref="QueueFullException">No getter came in time.</exception>
    /// <exception cref="QueueShutDownException">The channel is shut down.</exception>
    public ValueTask PutAsync(T item, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Hub.CurrentOrThrow("Channel.PutAsync");
        if (TryHandOver(item))
        {
            // As gevent's put, the getter runs first: the putter goes behind it in the ready queue.
            return Greenlet.Current is { } putter ? putter.YieldAfterHandoff() : default;
        }

        long ticks = BlockingCall.WaitTicksOrThrow<QueueFullException>("Channel.PutAsync", _shutdown, timeout, out Greenlet current);

        return PutSlowAsync(current, item, ticks, cancellationToken);
    }

    /// <summary>Hands over <paramref name="item"/>, waiting up to <paramref name="timeoutSeconds"/> for a getter.</summary>
    public ValueTask PutAsync(T item, double timeoutSeconds, CancellationToken cancellationToken = default)
        => PutAsync(item, Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    /// <summary>Hands <paramref name="item"/> to a waiting getter if there is one; never throws or blocks.</summary>
    public bool TryPut(T item)
    {
        Hub.CurrentOrThrow("Channel.TryPut");
        return TryHandOver(item);
    }

    /// <summary>The one put path of <see cref="PutAsync(T, TimeSpan?, CancellationToken)"/> and <see cref="TryPut"/>: hands the item to a waiting getter.</summary>
    private bool TryHandOver(T item)
    {
        if (_shutdown || _getters is not { Count: > 0 } getters)
        {
            return false;
        }

        Greenlet g = getters.Dequeue()!;
        _handed.Enqueue(item);
        _reservedGets++;
        g.WakeFromList(true, this);
        return true;
    }

    private ValueTask PutSlowAsync(Greenlet current, T item, long ticks, CancellationToken cancellationToken)
        => OperationPool<PutOperation>.Rent().Start(this, current, item, ticks, cancellationToken);

    /// <summary>
    /// A blocked put: it rides on its putter's entry in the putter list, item included, until a
    /// getter dequeues the entry and takes the item. A putter that leaves early leaves a stale
    /// entry, which the list skips, so nothing has to be taken back.
    /// </summary>
    private sealed class PutOperation : GreenletOperation<bool>
    {
        private Channel<T>? _channel;
        private T _item = default!;

        public T Item => _item;

        public ValueTask Start(Channel<T> channel, Greenlet current, T item, long ticks, CancellationToken cancellationToken)
        {
            _channel = channel;
            _item = item;
            WaitList putters = channel._putters ??= new WaitList();
            if (!Suspend(current, channel, putters, ticks, cancellationToken, out Exception? early))
            {
                ReturnToPool();
                return ValueTask.FromException(early!);
            }

            putters.AttachToNewest(this);
            return PendingVoid;
        }

        protected override bool Complete(bool woken)
        {
            if (woken)
            {
                return true; // a getter took the item
            }

            throw _channel!._shutdown ? new QueueShutDownException() : new QueueFullException();
        }

        protected override void ReturnToPool()
        {
            _channel = null;
            _item = default!;
            OperationPool<PutOperation>.Return(this);
        }
    }

    // ---- get ----

    /// <summary>
    /// Takes an item from a putter: at once if one is waiting, otherwise waits until one comes, the
    /// timeout elapses (throws <see cref="QueueEmptyException"/>), or the token is cancelled.
    /// <see cref="TryGet"/> is the form that does not wait.
    /// </summary>
    /// <exception cref="QueueEmptyException">No putter came in time.</exception>
    /// <exception cref="QueueShutDownException">The channel is shut down and nothing is left to take.</exception>
    public ValueTask<T> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Hub.CurrentOrThrow("Channel.GetAsync");
        if (TryTake(out T item))
        {
            return new ValueTask<T>(item);
        }

        long ticks = BlockingCall.WaitTicksOrThrow<QueueEmptyException>("Channel.GetAsync", _shutdown, timeout, out Greenlet current);

        return GetSlowAsync(current, ticks, cancellationToken);
    }

    /// <summary>Takes an item, waiting up to <paramref name="timeoutSeconds"/> for a putter.</summary>
    public ValueTask<T> GetAsync(double timeoutSeconds, CancellationToken cancellationToken = default)
        => GetAsync(Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    /// <summary>Takes an item from a waiting putter if there is one; never throws or blocks.</summary>
    public bool TryGet(out T item)
    {
        Hub.CurrentOrThrow("Channel.TryGet");
        return TryTake(out item);
    }

    /// <summary>The one take path of <see cref="GetAsync(TimeSpan?, CancellationToken)"/> and <see cref="TryGet"/>: an orphaned item first, else a waiting putter's.</summary>
    private bool TryTake(out T item)
    {
        if (Orphans > 0)
        {
            item = _handed.Dequeue();
            return true;
        }

        if (_putters is { Count: > 0 } putters)
        {
            Greenlet p = putters.Dequeue(out object? put)!;
            item = ((PutOperation)put!).Item;
            p.WakeFromList(true, _putterHandoff ??= new PutterHandoff());
            return true;
        }

        item = default!;
        return false;
    }

    private ValueTask<T> GetSlowAsync(Greenlet current, long ticks, CancellationToken cancellationToken)
        => OperationPool<GetOperation>.Rent().Start(this, current, ticks, cancellationToken);

    /// <summary>A blocked get: takes the item handed to it when the getter resumes.</summary>
    private sealed class GetOperation : GreenletOperation<T>
    {
        private Channel<T>? _channel;

        public ValueTask<T> Start(Channel<T> channel, Greenlet current, long ticks, CancellationToken cancellationToken)
        {
            _channel = channel;
            if (!Suspend(current, channel, channel._getters ??= new WaitList(), ticks, cancellationToken, out Exception? early))
            {
                ReturnToPool();
                return ValueTask.FromException<T>(early!);
            }

            return Pending;
        }

        protected override T Complete(bool woken)
        {
            Channel<T> c = _channel!;
            if (woken)
            {
                c._reservedGets--;
                if (c._handed.Count > 0)
                {
                    return c._handed.Dequeue();
                }

                throw new QueueShutDownException(); // an immediate shutdown discarded it
            }

            throw c._shutdown ? new QueueShutDownException() : new QueueEmptyException();
        }

        protected override void ReturnToPool()
        {
            _channel = null;
            OperationPool<GetOperation>.Return(this);
        }
    }

    /// <summary>A getter woken with an item was killed before it ran: pass the item on, or keep it.</summary>
    bool IWakeHandoff.OnWakeAbandoned(Greenlet greenlet)
    {
        _reservedGets--;
        if (Orphans > 0 && _getters is { Count: > 0 } getters)
        {
            _reservedGets++;
            getters.Dequeue()!.WakeFromList(true, this);
        }

        return false;
    }

    /// <summary>A putter whose item was taken has delivered it: its wake stands.</summary>
    private sealed class PutterHandoff : IWakeHandoff
    {
        public bool OnWakeAbandoned(Greenlet greenlet) => true;
    }

    // ---- shutdown, iteration ----

    /// <summary>
    /// Shuts the channel down: blocked and later putters throw <see cref="QueueShutDownException"/> (their items
    /// are not delivered), and getters throw once nothing is left. <paramref name="immediate"/>
    /// also discards items already handed to getters that have not run yet.
    /// </summary>
    public void Shutdown(bool immediate = false)
    {
        Hub.CurrentOrThrow("Channel.Shutdown");
        _shutdown = true;
        if (immediate)
        {
            _handed.Clear();
        }

        _putters?.WakeAll(false);
        _getters?.WakeAll(false);
    }

    /// <summary>Takes items as putters offer them, until the channel is shut down (<c>await foreach</c>).</summary>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        => BlockingCall.TakeUntilShutDown(token => GetAsync(null, token), cancellationToken);

    /// <summary>Like <c>&lt;Channel&lt;String&gt; 0 getters, 2 putters&gt;</c>.</summary>
    public override string ToString()
        => $"<Channel<{typeof(T).Name}> {GetterCount} getters, {PutterCount} putters{(Orphans > 0 ? $", {Orphans} orphaned items" : string.Empty)}{(_shutdown ? ", shut down" : string.Empty)}>";
}
