using Xunit;

namespace GeventSharp.Tests.Primitives.Contracts;

// One subclass of WaitContract per blocking API.

public sealed class EventWaitContractTests : WaitContract
{
    private Event _e = null!;

    protected override Task CreateAsync() { _e = new Event(); return Task.CompletedTask; }
    protected override ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct) => _e.WaitAsync(t, ct);
    protected override void Signal() => _e.Set();
    protected override bool ResourceAvailable() => _e.IsSet;
    protected override bool WakesAll => true;
    protected override int BlockedCount => _e.WaiterCount;
}

public sealed class AsyncResultGetContractTests : WaitContract
{
    private AsyncResult<int> _r = null!;

    protected override Task CreateAsync() { _r = new AsyncResult<int>(); return Task.CompletedTask; }

    protected override async ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct)
    {
        try
        {
            Assert.Equal(42, await _r.GetAsync(t, ct));
            return true;
        }
        catch (Timeout e) when (e.Owner is null)
        {
            return false; // its own timeout, not a Timeout scope
        }
    }

    protected override void Signal() => _r.Set(42);
    protected override bool ResourceAvailable() => _r.Ready;
    protected override bool WakesAll => true;
    protected override int BlockedCount => _r.WaiterCount;
}

public sealed class AsyncResultWaitContractTests : WaitContract
{
    private AsyncResult<int> _r = null!;

    protected override Task CreateAsync() { _r = new AsyncResult<int>(); return Task.CompletedTask; }
    protected override ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct) => _r.WaitAsync(t, ct);
    protected override void Signal() => _r.SetException(new InvalidOperationException("x"));
    protected override bool ResourceAvailable() => _r.Ready;
    protected override bool WakesAll => true;
    protected override int BlockedCount => _r.WaiterCount;
}

/// <summary>A contract on an empty queue whose wait takes (or looks at) the item <see cref="Signal"/> puts.</summary>
public abstract class EmptyQueueContract : WaitContract
{
    private protected const int Item = 7;
    private protected QueueBase<int> _q = null!;

    protected abstract QueueBase<int> NewQueue();
    protected override Task CreateAsync() { _q = NewQueue(); return Task.CompletedTask; }
    protected override void Signal() => Assert.True(_q.TryPut(Item));

    /// <summary>True with the item, false when the wait ended with <see cref="QueueEmptyException"/> (its timeout).</summary>
    private protected static async ValueTask<bool> ItemOrEmptyAsync(Func<ValueTask<int>> wait)
    {
        try
        {
            Assert.Equal(Item, await wait()); // called inside the try: a zero timeout throws QueueEmptyException at once
            return true;
        }
        catch (QueueEmptyException)
        {
            return false;
        }
    }
}

public abstract class QueueGetContract : EmptyQueueContract
{
    protected override ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct) => ItemOrEmptyAsync(() => _q.GetAsync(t, ct));
    protected override bool ResourceAvailable() => _q.TryGet(out _);
    protected override int BlockedCount => _q.GetterCount;
}

public sealed class QueueGetContractTests : QueueGetContract
{
    protected override QueueBase<int> NewQueue() => new FifoQueue<int>();
}

public sealed class BoundedQueueGetContractTests : QueueGetContract
{
    protected override QueueBase<int> NewQueue() => new FifoQueue<int>(2);
}

public sealed class LifoQueueGetContractTests : QueueGetContract
{
    protected override QueueBase<int> NewQueue() => new LifoQueue<int>();
}

public sealed class PriorityQueueGetContractTests : QueueGetContract
{
    protected override QueueBase<int> NewQueue() => new PriorityQueue<int>();
}

public sealed class JoinableQueueGetContractTests : QueueGetContract
{
    protected override QueueBase<int> NewQueue() => new JoinableQueue<int>();
}

public abstract class QueuePutContract : WaitContract
{
    private QueueBase<int> _q = null!;

    /// <summary>A queue of capacity 1 (it is filled before each test).</summary>
    protected abstract QueueBase<int> NewQueueOfOne();
    protected override Task CreateAsync() { _q = NewQueueOfOne(); Assert.True(_q.TryPut(0)); return Task.CompletedTask; }

    protected override async ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct)
    {
        try
        {
            await _q.PutAsync(1, t, ct);
            return true;
        }
        catch (QueueFullException)
        {
            return false;
        }
    }

    protected override void Signal() => Assert.True(_q.TryGet(out _));
    protected override bool ResourceAvailable() => _q.TryPut(2);
    protected override int BlockedCount => _q.PutterCount;
}

public sealed class QueuePutContractTests : QueuePutContract
{
    protected override QueueBase<int> NewQueueOfOne() => new FifoQueue<int>(1);
}

public sealed class LifoQueuePutContractTests : QueuePutContract
{
    protected override QueueBase<int> NewQueueOfOne() => new LifoQueue<int>(1);
}

public sealed class PriorityQueuePutContractTests : QueuePutContract
{
    protected override QueueBase<int> NewQueueOfOne() => new PriorityQueue<int>(null, 1);
}

public sealed class JoinableQueuePutContractTests : QueuePutContract
{
    protected override QueueBase<int> NewQueueOfOne() => new JoinableQueue<int>(1);
}

public abstract class QueuePeekContract : EmptyQueueContract
{
    protected override ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct) => ItemOrEmptyAsync(() => _q.PeekAsync(t, ct));
    protected override bool ResourceAvailable() => _q.TryPeek(out _);
    protected override bool WakesAll => true;
    // Peekers are not counted publicly: count the greenlets whose wait is on this queue.
    protected override int BlockedCount => Hub.Current!.LiveGreenlets().Count(g => ReferenceEquals(g.WaitingOn, _q));
}

public sealed class QueuePeekContractTests : QueuePeekContract
{
    protected override QueueBase<int> NewQueue() => new FifoQueue<int>();
}

public sealed class LifoQueuePeekContractTests : QueuePeekContract
{
    protected override QueueBase<int> NewQueue() => new LifoQueue<int>();
}

public sealed class PriorityQueuePeekContractTests : QueuePeekContract
{
    protected override QueueBase<int> NewQueue() => new PriorityQueue<int>();
}

public sealed class JoinableQueuePeekContractTests : QueuePeekContract
{
    protected override QueueBase<int> NewQueue() => new JoinableQueue<int>(3);
}

public sealed class JoinableQueueJoinContractTests : WaitContract
{
    private JoinableQueue<int> _q = null!;

    protected override Task CreateAsync() { _q = new JoinableQueue<int>(); Assert.True(_q.TryPut(1)); Assert.True(_q.TryGet(out _)); return Task.CompletedTask; }
    protected override ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct) => _q.JoinAsync(t, ct);
    protected override void Signal() => _q.TaskDone();
    protected override bool ResourceAvailable() => _q.Unfinished == 0;
    protected override bool WakesAll => true;
    protected override int BlockedCount => Hub.Current!.LiveGreenlets().Count(g => g.WaitingOn is Event);
}

public sealed class ChannelGetContractTests : WaitContract
{
    private Channel<int> _c = null!;

    protected override Task CreateAsync() { _c = new Channel<int>(); return Task.CompletedTask; }

    protected override async ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct)
    {
        try
        {
            Assert.Equal(3, await _c.GetAsync(t, ct));
            return true;
        }
        catch (QueueEmptyException)
        {
            return false;
        }
    }

    protected override void Signal() => Assert.True(_c.TryPut(3));
    protected override bool ResourceAvailable() => _c.TryGet(out _);
    protected override int BlockedCount => _c.GetterCount;
}

public sealed class ChannelPutContractTests : WaitContract
{
    private Channel<int> _c = null!;

    protected override Task CreateAsync() { _c = new Channel<int>(); return Task.CompletedTask; }

    protected override async ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct)
    {
        try
        {
            await _c.PutAsync(3, t, ct);
            return true;
        }
        catch (QueueFullException)
        {
            return false;
        }
    }

    protected override void Signal() => Assert.True(_c.TryGet(out _));
    protected override bool ResourceAvailable() => true;
    protected override bool WakeStandsOnKill => true;
    protected override int BlockedCount => _c.PutterCount;
}

/// <summary>A semaphore-family contract: each fact starts on a semaphore with no permit left.</summary>
public abstract class DrainedSemaphoreContract : WaitContract
{
    private protected Semaphore _s = null!;

    protected abstract Semaphore NewEmpty();

    protected override async Task CreateAsync()
    {
        _s = NewEmpty();
        while (_s.Counter > 0)
        {
            Assert.True(await _s.AcquireAsync());
        }
    }

    protected override void Signal() => _s.Release();
}

public abstract class SemaphoreAcquireContract : DrainedSemaphoreContract
{
    protected override ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct) => _s.AcquireAsync(t, ct);
    protected override bool ResourceAvailable() => _s.TryAcquire();
    protected override int BlockedCount => _s.AcquirerCount;
}

public sealed class SemaphoreAcquireContractTests : SemaphoreAcquireContract
{
    protected override Semaphore NewEmpty() => new(0);
}

public sealed class BoundedSemaphoreAcquireContractTests : SemaphoreAcquireContract
{
    protected override Semaphore NewEmpty() => new BoundedSemaphore(4);
}

public sealed class LockAcquireContractTests : SemaphoreAcquireContract
{
    protected override Semaphore NewEmpty() => new Lock();
}

public abstract class SemaphoreWaitContract : DrainedSemaphoreContract
{
    protected override ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct) => _s.WaitAsync(t, ct);
    protected override bool ResourceAvailable() => _s.Counter > 0;
    protected override bool WakesAll => true;
    protected override int BlockedCount => _s.WaiterCount;
}

public sealed class SemaphoreWaitContractTests : SemaphoreWaitContract
{
    protected override Semaphore NewEmpty() => new(0);
}

public sealed class BoundedSemaphoreWaitContractTests : SemaphoreWaitContract
{
    protected override Semaphore NewEmpty() => new BoundedSemaphore(2);
}

public sealed class LockWaitContractTests : SemaphoreWaitContract
{
    protected override Semaphore NewEmpty() => new Lock();
}

/// <summary><c>using (await sem.AcquireScopeAsync(...))</c>: a timeout throws <see cref="Timeout"/> (without an owner).</summary>
public abstract class SemaphoreScopeContract : DrainedSemaphoreContract
{
    protected override async ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct)
    {
        try
        {
            LockScope scope = t is { } timeout ? await _s.AcquireScopeAsync(timeout, ct) : await _s.AcquireScopeAsync(ct);
            Assert.Equal(0, _s.Counter); // held: the permit came with the wake
            _ = scope; // kept: the next signal is another release
            return true;
        }
        catch (Timeout e) when (e.Owner is null)
        {
            return false;
        }
    }

    protected override bool ResourceAvailable() => _s.TryAcquire();
    protected override int BlockedCount => _s.AcquirerCount;
}

public sealed class SemaphoreScopeContractTests : SemaphoreScopeContract
{
    protected override Semaphore NewEmpty() => new(0);
}

public sealed class BoundedSemaphoreScopeContractTests : SemaphoreScopeContract
{
    protected override Semaphore NewEmpty() => new BoundedSemaphore(4);
}

public sealed class LockScopeContractTests : SemaphoreScopeContract
{
    protected override Semaphore NewEmpty() => new Lock();
}

public sealed class RLockAcquireContractTests : WaitContract
{
    private RLock _l = null!;
    private Event _gate = null!;

    protected override async Task CreateAsync()
    {
        _l = new RLock();
        _gate = new Event();
        Greenlet holder = Prim.Go(async () =>
        {
            Assert.True(await _l.AcquireAsync());
            await _gate.WaitAsync();
            _l.Release();
        });
        await Prim.Settle();
        Assert.Same(holder, _l.Owner);
    }

    protected override async ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct)
    {
        if (!await _l.AcquireAsync(t, ct))
        {
            return false;
        }

        Assert.Same(Greenlet.Current, _l.Owner);
        _l.Release(); // pass it on, so one signal releases the whole chain
        return true;
    }

    protected override void Signal() => _gate.Set();
    protected override bool ResourceAvailable() => _l.TryAcquire();
    protected override bool WakesAll => true;
    protected override int BlockedCount => _l.AcquirerCount;
}

/// <summary>An <see cref="RLock"/> held by another greenlet until <see cref="Signal"/>.</summary>
public abstract class RLockHeldContract : WaitContract
{
    protected RLock L { get; private set; } = null!;
    private Event _gate = null!;

    protected override async Task CreateAsync()
    {
        L = new RLock();
        _gate = new Event();
        Greenlet holder = Prim.Go(async () =>
        {
            Assert.True(await L.AcquireAsync());
            await _gate.WaitAsync();
            L.Release();
        });
        await Prim.Settle();
        Assert.Same(holder, L.Owner);
    }

    protected override void Signal() => _gate.Set();
    protected override bool WakesAll => true;
}

public sealed class RLockWaitContractTests : RLockHeldContract
{
    protected override ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct) => L.WaitAsync(t, ct);
    protected override bool ResourceAvailable() => !L.Locked;
    protected override int BlockedCount => L.WaiterCount;
}

public sealed class RLockScopeContractTests : RLockHeldContract
{
    protected override async ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct)
    {
        try
        {
            using (t is { } timeout ? await L.AcquireScopeAsync(timeout, ct) : await L.AcquireScopeAsync(ct))
            {
                Assert.Same(Greenlet.Current, L.Owner);
            } // released: the next waiter gets it, so one signal releases the whole chain

            return true;
        }
        catch (Timeout e) when (e.Owner is null)
        {
            return false;
        }
    }

    protected override bool ResourceAvailable() => L.TryAcquire();
    protected override int BlockedCount => L.AcquirerCount;
}

public sealed class PoolAddContractTests : WaitContract
{
    private Pool _p = null!;

    protected override Task CreateAsync()
    {
        _p = new Pool(1);
        _p.Spawn(Forever);
        return Task.CompletedTask;
    }

    private static async Task Forever() => await new Event().WaitAsync();

    protected override async ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct)
    {
        var g = new Greenlet(Forever); // not started: a member that never ends until killed
        try
        {
            await _p.AddAsync(g, t, ct);
            Assert.True(_p.Contains(g));
            return true;
        }
        catch (QueueFullException)
        {
            Assert.False(_p.Contains(g));
            return false;
        }
    }

    protected override void Signal() => _p.First().Kill(); // frees the oldest member's slot
    protected override bool ResourceAvailable() => !_p.IsFull;
    protected override int BlockedCount => _p.SpawnerCount;
}

public sealed class PoolSpawnContractTests : WaitContract
{
    private Pool _p = null!;

    protected override Task CreateAsync()
    {
        _p = new Pool(1);
        _p.Spawn(Forever);
        return Task.CompletedTask;
    }

    private static async Task Forever() => await new Event().WaitAsync();

    protected override async ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct)
    {
        try
        {
            if (t is { } timeout)
            {
                await _p.SpawnAsync(Forever, timeout, ct);
            }
            else
            {
                await _p.SpawnAsync(Forever, ct);
            }

            return true;
        }
        catch (QueueFullException)
        {
            return false;
        }
    }

    protected override void Signal() => _p.First().Kill(); // frees the oldest member's slot
    protected override bool ResourceAvailable() => !_p.IsFull;
    protected override int BlockedCount => _p.SpawnerCount;
}

public sealed class PoolWaitAvailableContractTests : WaitContract
{
    private Pool _p = null!;

    protected override Task CreateAsync()
    {
        _p = new Pool(1);
        _p.Spawn(async () => await new Event().WaitAsync());
        return Task.CompletedTask;
    }

    protected override ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct) => _p.WaitAvailableAsync(t, ct);
    protected override void Signal() => _p.First().Kill();
    protected override bool ResourceAvailable() => !_p.IsFull;
    protected override bool WakesAll => true;
    protected override int BlockedCount => Hub.Current!.LiveGreenlets().Count(g => g.WaitingOn is Semaphore);
}

public sealed class GroupJoinContractTests : WaitContract
{
    private Group _g = null!;
    private Event _gate = null!;

    protected override Task CreateAsync()
    {
        _g = new Group();
        _gate = new Event();
        _g.Spawn(async () => await _gate.WaitAsync());
        return Task.CompletedTask;
    }

    protected override ValueTask<bool> WaitAsync(TimeSpan? t, CancellationToken ct) => _g.JoinAsync(t, false, ct);
    protected override void Signal() => _gate.Set();
    protected override bool ResourceAvailable() => _g.Count == 0;
    protected override bool WakesAll => true;
    protected override int BlockedCount => Hub.Current!.LiveGreenlets().Count(g => g.WaitingOn is Event e && !ReferenceEquals(e, _gate));
}
