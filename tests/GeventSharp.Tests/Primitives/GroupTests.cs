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
            Assert.False(x.Ready);
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
    public void MapEachUnorderedAsync_YieldsResultsAsTheyFinish()
    {
        Run(async () =>
        {
            var g = new Group();
            var got = new List<int>();
            await foreach (int x in g.MapEachUnorderedAsync(async (int x) => { await Gevent.Sleep(1.0 / x); return x; }, new[] { 1, 2, 3, 4 }))
            {
                got.Add(x);
            }

            Assert.Equal(new[] { 4, 3, 2, 1 }, got);
        });
    }

    [Fact]
    public void MapEachAsync_AFailedCallIsRethrown_AndTheOthersAreKilled()
    {
        var h = new GeventSharp.Testing.HubHarness();
        h.Run(async () =>
        {
            var g = new Group();
            int finished = 0;
            await Assert.ThrowsAsync<FormatException>(async () =>
            {
                await foreach (int _ in g.MapEachAsync(async (int x) =>
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

    [Fact]
    public void MapEachAsync_WithMaxsize_StartsAtMostMaxsizeCallsAheadOfTheReader()
    {
        Run(async () =>
        {
            var g = new Group();
            int started = 0, read = 0, maxAhead = 0;
            await foreach (int x in g.MapEachAsync(async (int x) => { started++; maxAhead = Math.Max(maxAhead, started - read); await Gevent.Sleep(0.1); return x; }, Enumerable.Range(0, 20), maxsize: 2))
            {
                Assert.Equal(read, x);
                read++;
                await Gevent.Sleep(1); // a slow reader: the calls must wait for it
            }

            Assert.Equal(20, read);
            Assert.Equal(2, maxAhead);
        });
    }

    [Fact]
    public void MapEachUnorderedAsync_WithMaxsize_StartsAtMostMaxsizeCallsAheadOfTheReader()
    {
        Run(async () =>
        {
            var g = new Group();
            int started = 0, read = 0, maxAhead = 0;
            await foreach (int _ in g.MapEachUnorderedAsync(async (int x) => { started++; maxAhead = Math.Max(maxAhead, started - read); await Gevent.Sleep(0.1); return x; }, Enumerable.Range(0, 20), maxsize: 2))
            {
                read++;
                await Gevent.Sleep(1);
            }

            Assert.Equal(20, read);
            Assert.Equal(2, maxAhead);
        });
    }

    [Fact]
    public void Kill_KillsEveryMemberButTheCaller_WithoutWaiting()
    {
        Run(async () =>
        {
            var g = new Group();
            var gate = new Event();
            Greenlet a = g.Spawn(async () => await gate.WaitAsync());
            Greenlet b = g.Spawn(async () => await gate.WaitAsync());
            Greenlet killer = g.Spawn(async () =>
            {
                await Gevent.Sleep(0);
                g.Kill();
                Assert.False(a.Ready); // Kill does not wait: the kills are delivered when the victims run
            });
            await killer.GetAsync();
            await Settle();
            Assert.True(a.Ready && b.Ready);
            Assert.IsType<GreenletExit>(a.Value);
            Assert.True(killer.Successful);
            Assert.Empty(g);
        });
    }

    [Fact]
    public void JoinAsync_InSeconds_TakesACancellationToken()
    {
        Run(async () =>
        {
            var g = new Group();
            _ = g.Spawn(async () => await Gevent.Sleep(10));
            using var cts = new CancellationTokenSource();
            Greenlet<bool> joiner = Go(() => g.JoinAsync(5.0, false, cts.Token).AsTask());
            await Settle();
            cts.Cancel();
            await joiner.JoinAsync();
            Assert.IsAssignableFrom<OperationCanceledException>(joiner.Exception);
            g.Kill();
        });
    }

    [Fact]
    public void MapAsync_TakesACancellationToken_AndKillsTheCallsWhenCancelled()
    {
        Run(async () =>
        {
            var g = new Group();
            using var cts = new CancellationTokenSource();
            Greenlet mapper = Go(async () => await g.MapAsync(async (int x) => { await Gevent.Sleep(10); return x; }, new[] { 1, 2, 3 }, cts.Token));
            await Settle();
            Assert.Equal(3, g.Count);
            cts.Cancel();
            await mapper.JoinAsync();
            Assert.IsAssignableFrom<OperationCanceledException>(mapper.Exception);
            Assert.Empty(g);
        });
    }
}
