namespace GeventSharp;

/// <summary>
/// A <see cref="Group"/> that holds at most <see cref="Size"/> greenlets at once (gevent's
/// <c>gevent.pool.Pool</c>): a group plus a <see cref="Semaphore"/> of slots.
/// </summary>
/// <remarks>
/// <para><c>SpawnAsync</c> waits while the pool is full; slots are handed out in the order the
/// spawners started waiting (FIFO). The synchronous <c>Spawn</c> and <see cref="Group.Add"/> throw
/// <see cref="QueueFullException"/> instead of waiting.</para>
/// <para>A member's slot is freed when it dies (or is discarded). A spawner killed or timed out
/// while waiting holds no slot.</para>
/// <para>The map family runs at most <see cref="Size"/> calls at once and, by default, holds at
/// most <see cref="Size"/> unread results (back-pressure).</para>
/// </remarks>
/// <example>
/// <code>
/// var pool = new Pool(10);
/// foreach (string url in urls)
/// {
///     await pool.SpawnAsync(() =&gt; FetchAsync(url)); // waits while 10 are running
/// }
/// await pool.JoinAsync();
/// </code>
/// </example>
public sealed class Pool : Group
{
    private readonly Semaphore _slots;

    /// <summary>Creates a pool of <paramref name="size"/> slots; null is unbounded (a plain group that never blocks).</summary>
    /// <remarks>A pool of size 0 is allowed, as in gevent: it has no free slot, so it is always full
    /// and a spawn into it waits until its timeout (or forever).</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative.</exception>
    public Pool(int? size = null)
    {
        if (size is { } n)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(n, nameof(size));
            _slots = new BoundedSemaphore(n);
        }
        else
        {
            _slots = new DummySemaphore();
        }

        Size = size;
    }

    /// <summary>The most members at once, or null if unbounded.</summary>
    public int? Size { get; }

    /// <summary>Greenlets waiting in <c>SpawnAsync</c>/<see cref="Group.AddAsync(Greenlet, TimeSpan?, CancellationToken)"/> for a slot.</summary>
    public int SpawnerCount => _slots.AcquirerCount;

    /// <summary>Free slots (gevent's <c>free_count()</c>); <see cref="int.MaxValue"/> if unbounded.</summary>
    public int FreeCount => Size is null ? int.MaxValue : _slots.Counter;

    /// <summary>True if a spawn would wait (gevent's <c>full()</c>).</summary>
    public bool IsFull => FreeCount <= 0;

    /// <summary>Waits until a slot is free (without taking it), the timeout elapses, or the token is cancelled.</summary>
    /// <returns>True if a slot is free, false on timeout.</returns>
    public ValueTask<bool> WaitAvailableAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => _slots.WaitAsync(timeout, cancellationToken);

    /// <summary>Waits until a slot is free or <paramref name="seconds"/> elapse.</summary>
    public ValueTask<bool> WaitAvailableAsync(double seconds, CancellationToken cancellationToken = default)
        => _slots.WaitAsync(seconds, cancellationToken);

    /// <summary>Spawns <paramref name="function"/> once a slot is free (waiting as long as it takes).</summary>
    public ValueTask<Greenlet> SpawnAsync(Func<Task> function, CancellationToken cancellationToken = default)
        => SpawnMemberWaitingAsync(() => Gevent.Spawn(function), null, cancellationToken);

    /// <summary>Spawns <paramref name="function"/> once a slot is free, waiting at most <paramref name="timeout"/>.</summary>
    /// <exception cref="QueueFullException">No slot came free in time.</exception>
    public ValueTask<Greenlet> SpawnAsync(Func<Task> function, TimeSpan timeout, CancellationToken cancellationToken = default)
        => SpawnMemberWaitingAsync(() => Gevent.Spawn(function), timeout, cancellationToken);

    /// <summary>Spawns <paramref name="function"/> once a slot is free, waiting at most <paramref name="timeoutSeconds"/> (as gevent's <c>spawn</c> on a full pool with a timeout).</summary>
    /// <exception cref="QueueFullException">No slot came free in time.</exception>
    public ValueTask<Greenlet> SpawnAsync(Func<Task> function, double timeoutSeconds, CancellationToken cancellationToken = default)
        => SpawnAsync(function, Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    /// <summary>Spawns the synchronous <paramref name="function"/> once a slot is free.</summary>
    public ValueTask<Greenlet> SpawnAsync(Action function, CancellationToken cancellationToken = default)
        => SpawnMemberWaitingAsync(() => Gevent.Spawn(function), null, cancellationToken);

    /// <summary>Spawns <paramref name="function"/> with a result once a slot is free.</summary>
    public ValueTask<Greenlet<T>> SpawnAsync<T>(Func<Task<T>> function, CancellationToken cancellationToken = default)
        => SpawnMemberWaitingAsync(() => Gevent.Spawn(function), null, cancellationToken);

    /// <summary>Spawns the synchronous <paramref name="function"/> with a result once a slot is free.</summary>
    public ValueTask<Greenlet<T>> SpawnAsync<T>(Func<T> function, CancellationToken cancellationToken = default)
        => SpawnMemberWaitingAsync(() => Gevent.Spawn(function), null, cancellationToken);

    /// <summary>Spawns <paramref name="function"/>(<paramref name="arg"/>) once a slot is free.</summary>
    public ValueTask<Greenlet> SpawnAsync<TArg>(Func<TArg, Task> function, TArg arg, CancellationToken cancellationToken = default)
        => SpawnMemberWaitingAsync(() => Gevent.Spawn(function, arg), null, cancellationToken);

    /// <summary>Spawns <paramref name="function"/>(<paramref name="arg"/>) with a result once a slot is free.</summary>
    public ValueTask<Greenlet<T>> SpawnAsync<TArg, T>(Func<TArg, Task<T>> function, TArg arg, CancellationToken cancellationToken = default)
        => SpawnMemberWaitingAsync(() => Gevent.Spawn(function, arg), null, cancellationToken);

    private protected override void ReserveSlot()
    {
        if (!_slots.TryAcquire())
        {
            throw new QueueFullException($"The pool is full ({Size} greenlets): use SpawnAsync or AddAsync to wait for a slot.");
        }
    }

    private protected override bool TryReserveSlot() => _slots.TryAcquire();

    private protected override async ValueTask ReserveSlotAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (!await _slots.AcquireAsync(timeout, cancellationToken))
        {
            throw new QueueFullException($"No slot of the pool ({Size} greenlets) came free in time.");
        }
    }

    private protected override void OnDiscarded(Greenlet greenlet) => _slots.Release();

    private protected override int? DefaultMapWindow => Size;

    private protected override string ExtraState => Size is { } n ? $", {FreeCount}/{n} free, {SpawnerCount} spawners waiting" : ", unbounded";
}
