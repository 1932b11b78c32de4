using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

public sealed class PoolTests
{
    [Fact]
    public void SpawnAsync_WaitsWhileFull_AndSlotsGoToSpawnersInOrder()
    {
        var h = Run(async () =>
        {
            var pool = new Pool(2);
            var started = new List<int>();
            for (int i = 0; i < 5; i++)
            {
                int n = i;
                await pool.SpawnAsync(async () => { started.Add(n); await Gevent.Sleep(1); });
                Assert.True(pool.Count <= 2);
            }

            await pool.JoinAsync();
            Assert.Equal(new[] { 0, 1, 2, 3, 4 }, started);
            Assert.Equal(2, pool.FreeCount);
        });
        Assert.Equal(TimeSpan.FromSeconds(3), h.Elapsed);
    }

    [Fact]
    public void Spawn_OnAFullPool_ThrowsFull()
    {
        Run(async () =>
        {
            var pool = new Pool(1);
            _ = pool.Spawn(async () => await Gevent.Sleep(1));
            Assert.True(pool.IsFull);
            Assert.Equal(0, pool.FreeCount);
            Assert.Throws<QueueFullException>(() => pool.Spawn(async () => await Gevent.Sleep(1)));
            Assert.Throws<QueueFullException>(() => pool.Add(Go(() => Task.CompletedTask)));
            await pool.JoinAsync();
            Assert.False(pool.IsFull);
        });
    }

    [Fact]
    public void WaitAvailableAsync_ReturnsWhenASlotFrees()
    {
        var h = Run(async () =>
        {
            var pool = new Pool(1);
            _ = pool.Spawn(async () => await Gevent.Sleep(2));
            Assert.False(await pool.WaitAvailableAsync(1));
            Assert.True(await pool.WaitAvailableAsync());
        });
        Assert.Equal(TimeSpan.FromSeconds(2), h.Elapsed);
    }

    [Fact]
    public void MapEachAsync_RunsAtMostSizeCallsAtOnce_AndAppliesBackPressure()
    {
        Run(async () =>
        {
            var pool = new Pool(3);
            int running = 0, maxRunning = 0, started = 0, read = 0, maxAhead = 0;
            await foreach (int x in pool.MapEachAsync(async (int x) =>
            {
                started++;
                maxAhead = Math.Max(maxAhead, started - read);
                maxRunning = Math.Max(maxRunning, ++running);
                await Gevent.Sleep(0.1);
                running--;
                return x;
            }, Enumerable.Range(0, 30)))
            {
                Assert.Equal(read, x);
                read++;
                await Gevent.Sleep(1); // a slow reader
            }

            Assert.Equal(30, read);
            Assert.Equal(3, maxRunning);
            Assert.Equal(3, maxAhead); // at most the pool size started and not yet read
        });
    }

    [Fact]
    public void MapEachAsync_LeftEarly_KillsTheCallsStillRunning()
    {
        Run(async () =>
        {
            var pool = new Pool(4);
            int cleaned = 0;
            await foreach (int x in pool.MapEachAsync(async (int x) =>
            {
                try
                {
                    await Gevent.Sleep(x + 1);
                    return x;
                }
                finally
                {
                    cleaned++;
                }
            }, Enumerable.Range(0, 100)))
            {
                if (x == 1)
                {
                    break;
                }
            }

            Assert.Empty(pool);
            Assert.True(cleaned >= 2);
        });
    }

    [Fact]
    public void ApplyAsync_FromAMemberOfAFullPool_RunsDirectly()
    {
        Run(async () =>
        {
            var pool = new Pool(1);
            Greenlet<int> outer = await pool.SpawnAsync(async () => await pool.ApplyAsync(() => Task.FromResult(7)));
            Assert.Equal(7, await outer);
        });
    }

    [Fact]
    public void SpawnerKilledWhileWaiting_HoldsNoSlot()
    {
        Run(async () =>
        {
            var pool = new Pool(1);
            _ = pool.Spawn(async () => await Gevent.Sleep(1));
            Greenlet spawner = Go(async () => await pool.SpawnAsync(() => Task.CompletedTask));
            await Settle();
            Assert.Equal(1, pool.SpawnerCount);
            await spawner.KillAsync();
            await pool.JoinAsync();
            Assert.Equal(1, pool.FreeCount);
        });
    }

    [Fact]
    public void NegativeSize_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Pool(-1)); // 0 is allowed, as in gevent (PrimitivesFidelityTests)
    }

    [Fact]
    public void ApplyInBackground_OnAFullPool_ReturnsAtOnce_AndRunsTheCallWhenASlotFrees()
    {
        var h = Run(async () =>
        {
            var pool = new Pool(1);
            _ = pool.Spawn(async () => await Gevent.Sleep(2));
            int? got = null;
            Greenlet<int> g = pool.ApplyInBackground(async () => { await Gevent.Sleep(1); return 7; }, v => got = v);
            Assert.Equal(TimeSpan.Zero, Hub.Current!.TimeProvider.GetUtcNow() - new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
            Assert.False(pool.Contains(g)); // it waits for a slot outside the pool
            await Settle();
            Assert.Equal(1, pool.SpawnerCount);
            Assert.Equal(7, await g);
            await Settle();
            Assert.Equal(7, got);
            Assert.Equal(1, pool.FreeCount);
        });
        Assert.Equal(TimeSpan.FromSeconds(3), h.Elapsed);
    }

    [Fact]
    public void ApplyInBackground_WithAFreeSlot_RunsInAMember_AndCallsBackOnlyOnSuccess()
    {
        var h = new GeventSharp.Testing.HubHarness();
        h.Run(async () =>
        {
            var pool = new Pool(2);
            var calls = new List<string>();
            Greenlet<string> ok = pool.ApplyInBackground(() => Task.FromResult("ok"), v => calls.Add(v));
            Greenlet<string> bad = pool.ApplyInBackground<string>(() => throw new FormatException(), v => calls.Add("bad " + v));
            Greenlet done = pool.ApplyInBackground(() => Gevent.Sleep(1).AsTask(), () => calls.Add("done"));
            Assert.True(pool.Contains(ok) && pool.Contains(bad));
            Assert.False(pool.Contains(done)); // the pool was full
            await Gevent.JoinAllAsync(new Greenlet[] { ok, bad, done });
            await Settle();
            Assert.IsType<FormatException>(bad.Exception);
            Assert.Equal(new[] { "ok", "done" }, calls);
        });
        Assert.Single(h.Errors); // the failed call is reported, as any failed greenlet
    }
}
