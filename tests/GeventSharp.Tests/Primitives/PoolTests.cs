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
            Assert.Throws<Full>(() => pool.Spawn(async () => await Gevent.Sleep(1)));
            Assert.Throws<Full>(() => pool.Add(Go(() => Task.CompletedTask)));
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
    public void IMap_RunsAtMostSizeCallsAtOnce_AndAppliesBackPressure()
    {
        Run(async () =>
        {
            var pool = new Pool(3);
            int running = 0, maxRunning = 0, started = 0, read = 0, maxAhead = 0;
            await foreach (int x in pool.IMap(async (int x) =>
            {
                started++;
                maxRunning = Math.Max(maxRunning, ++running);
                await Gevent.Sleep(0.1);
                running--;
                return x;
            }, Enumerable.Range(0, 30)))
            {
                Assert.Equal(read, x);
                read++;
                maxAhead = Math.Max(maxAhead, started - read);
                await Gevent.Sleep(1); // a slow reader
            }

            Assert.Equal(30, read);
            Assert.Equal(3, maxRunning);
            Assert.True(maxAhead <= 4, $"{maxAhead} calls ran ahead of a slow reader");
        });
    }

    [Fact]
    public void IMap_LeftEarly_KillsTheCallsStillRunning()
    {
        Run(async () =>
        {
            var pool = new Pool(4);
            int cleaned = 0;
            await foreach (int x in pool.IMap(async (int x) =>
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
    public void SizeBelowOne_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Pool(0));
    }
}
