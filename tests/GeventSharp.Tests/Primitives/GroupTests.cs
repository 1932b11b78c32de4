using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

public sealed class GroupTests
{
    [Fact]
    public void Spawn_AddsMembers_AndDeadMembersAreDiscarded()
    {
        Run(async () =>
        {
            var g = new Group();
            Greenlet a = g.Spawn(async () => await Gevent.Sleep(1));
            Greenlet b = g.Spawn(() => 42);
            Assert.Equal(2, g.Count);
            Assert.True(g.Contains(a));
            Assert.Equal(new[] { a, b }, g.ToList());
            Assert.True(await g.JoinAsync());
            Assert.Empty(g);
        });
    }

    [Fact]
    public void JoinAsync_WithTimeout_ReturnsFalse_WhileMembersRun()
    {
        Run(async () =>
        {
            var g = new Group();
            _ = g.Spawn(async () => await Gevent.Sleep(10));
            Assert.False(await g.JoinAsync(1));
            _ = Assert.Single(g);
        });
    }

    [Fact]
    public void JoinAsync_RaiseError_RethrowsTheFirstFailure()
    {
        var h = new GeventSharp.Testing.HubHarness();
        h.Run(async () =>
        {
            var g = new Group();
            _ = g.Spawn(async () => await Gevent.Sleep(1));
            _ = g.Spawn((Func<Task>)(async () => { await Gevent.Sleep(0.5); throw new FormatException("bad"); }));
            await Assert.ThrowsAsync<FormatException>(async () => await g.JoinAsync(raiseError: true));
        });
        Assert.Single(h.Errors);
    }

    [Fact]
    public void AddAndDiscard_ManageMembersWithoutKilling()
    {
        Run(async () =>
        {
            var g = new Group();
            Greenlet x = Go(async () => await Gevent.Sleep(1));
            g.Add(x);
            g.Add(x);
            _ = Assert.Single(g);
            Assert.True(g.Discard(x));
            Assert.False(g.Discard(x));
            Assert.True(await g.JoinAsync());
            Assert.False(x.Dead);
        });
    }

    [Fact]
    public void KillAsync_KillsEveryMember_AndWaits()
    {
        Run(async () =>
        {
            var g = new Group();
            int cleaned = 0;
            for (int i = 0; i < 3; i++)
            {
                _ = g.Spawn(async () =>
                {
                    try
                    {
                        await Gevent.Sleep(100);
                    }
                    finally
                    {
                        cleaned++;
                    }
                });
            }

            await Settle();
            Assert.True(await g.KillAsync());
            Assert.Equal(3, cleaned);
            Assert.Empty(g);
        });
    }

    [Fact]
    public void KillOne_KillsOnlyThatMember()
    {
        Run(async () =>
        {
            var g = new Group();
            Greenlet a = g.Spawn(async () => await Gevent.Sleep(100));
            Greenlet b = g.Spawn(async () => await Gevent.Sleep(100));
            await Settle();
            Assert.True(await g.KillOneAsync(a));
            Assert.False(g.KillOne(Go(() => Task.CompletedTask)));
            await Settle();
            Assert.Equal(new[] { b }, g.ToList());
            g.Kill();
        });
    }

    [Fact]
    public void MapAsync_ReturnsResultsInItemOrder()
    {
        Run(async () =>
        {
            var g = new Group();
            IReadOnlyList<int> r = await g.MapAsync(async (int x) => { await Gevent.Sleep(1.0 / x); return x * 10; }, new[] { 1, 2, 3, 4 });
            Assert.Equal(new[] { 10, 20, 30, 40 }, r);
        });
    }

    [Fact]
    public void IMapUnordered_YieldsResultsAsTheyFinish()
    {
        Run(async () =>
        {
            var g = new Group();
            var got = new List<int>();
            await foreach (int x in g.IMapUnordered(async (int x) => { await Gevent.Sleep(1.0 / x); return x; }, new[] { 1, 2, 3, 4 }))
            {
                got.Add(x);
            }

            Assert.Equal(new[] { 4, 3, 2, 1 }, got);
        });
    }

    [Fact]
    public void IMap_AFailedCallIsRethrown_AndTheOthersAreKilled()
    {
        var h = new GeventSharp.Testing.HubHarness();
        h.Run(async () =>
        {
            var g = new Group();
            int finished = 0;
            await Assert.ThrowsAsync<FormatException>(async () =>
            {
                await foreach (int _ in g.IMap(async (int x) =>
                {
                    await Gevent.Sleep(x);
                    if (x == 1)
                    {
                        throw new FormatException();
                    }

                    finished++;
                    return x;
                }, new[] { 1, 2, 3 }))
                {
                }
            });
            Assert.Empty(g);
            Assert.Equal(0, finished);
        });
    }

    [Fact]
    public void ApplyAsync_RunsInAMemberAndReturnsTheResult()
    {
        Run(async () =>
        {
            var g = new Group();
            Greenlet? ranIn = null;
            int r = await g.ApplyAsync(async () => { ranIn = Greenlet.Current; await Gevent.Sleep(0); return 5; });
            Assert.Equal(5, r);
            Assert.NotSame(Greenlet.Current, ranIn);
        });
    }
}

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

public sealed class StructuredGroupTests
{
    [Fact]
    public void RunStructured_WaitsForEveryMember()
    {
        var h = Run(async () =>
        {
            int done = 0;
            await Group.RunStructuredAsync(g =>
            {
                _ = g.Spawn(async () => { await Gevent.Sleep(1); done++; });
                _ = g.Spawn(async () => { await Gevent.Sleep(2); done++; });
                return Task.CompletedTask;
            });
            Assert.Equal(2, done);
        });
        Assert.Equal(TimeSpan.FromSeconds(2), h.Elapsed);
    }

    [Fact]
    public void AMemberFailure_KillsTheOthers_InterruptsTheBody_AndIsRethrown()
    {
        var h = new GeventSharp.Testing.HubHarness();
        h.Run(async () =>
        {
            bool otherCleaned = false, bodyFinished = false;
            Group? group = null;
            var e = await Assert.ThrowsAsync<FormatException>(() => Group.RunStructuredAsync(async g =>
            {
                group = g;
                _ = g.Spawn(async () =>
                {
                    try
                    {
                        await Gevent.Sleep(100);
                    }
                    finally
                    {
                        otherCleaned = true;
                    }
                });
                _ = g.Spawn((Func<Task>)(async () => { await Gevent.Sleep(1); throw new FormatException("member failed"); }));
                await Gevent.Sleep(50);
                bodyFinished = true;
            }));
            Assert.Equal("member failed", e.Message);
            Assert.True(otherCleaned);
            Assert.False(bodyFinished);
            Assert.Empty(group!);
        });
        Assert.Equal(TimeSpan.FromSeconds(1), h.Elapsed);
    }

    [Fact]
    public void ABodyFailure_KillsTheMembers_AndIsRethrown()
    {
        Run(async () =>
        {
            bool memberCleaned = false;
            await Assert.ThrowsAsync<ArithmeticException>(() => Group.RunStructuredAsync(async g =>
            {
                _ = g.Spawn(async () =>
                {
                    try
                    {
                        await Gevent.Sleep(100);
                    }
                    finally
                    {
                        memberCleaned = true;
                    }
                });
                await Gevent.Sleep(1);
                throw new ArithmeticException();
            }));
            Assert.True(memberCleaned);
        });
    }

    [Fact]
    public void AwaitUsing_AMemberFailure_IsRethrownAtTheEndOfTheScope()
    {
        var h = new GeventSharp.Testing.HubHarness();
        h.Run(async () =>
        {
            await Assert.ThrowsAsync<FormatException>(async () =>
            {
                await using StructuredGroup g = Group.Structured();
                _ = g.Spawn(async () => await Gevent.Sleep(100));
                _ = g.Spawn((Func<Task>)(async () => { await Gevent.Sleep(1); throw new FormatException(); }));
            });
        });
        Assert.Equal(TimeSpan.FromSeconds(1), h.Elapsed);
    }

    [Fact]
    public void SpawningAfterTheScope_Throws()
    {
        Run(async () =>
        {
            StructuredGroup? kept = null;
            await using (StructuredGroup g = Group.Structured())
            {
                kept = g;
            }

            Assert.Throws<InvalidOperationException>(() => kept.Spawn(() => Task.CompletedTask));
        });
    }

    [Fact]
    public void RunStructured_ReturnsTheBodysResult()
    {
        Run(async () =>
        {
            int r = await Group.RunStructuredAsync(async g =>
            {
                Greenlet<int> a = g.Spawn(() => 20);
                Greenlet<int> b = g.Spawn(() => 22);
                return await a + await b;
            });
            Assert.Equal(42, r);
        });
    }
}
