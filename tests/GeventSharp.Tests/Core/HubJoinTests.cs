using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Core;

/// <summary>gevent's test__hub_join.py (hub.join() and gevent.wait() with no objects), checked against real gevent 22.10.</summary>
public sealed class HubJoinTests
{
    [Fact]
    public void test_hub_join_ExitsBecauseTheSpawnedGreenletFinished()
    {
        Run(async () =>
        {
            Greenlet<int> x = Gevent.Spawn(() => 5);
            Assert.False(x.Ready);
            Assert.True(await Greenlet.Current!.Hub.JoinAsync(10));
            Assert.True(x.Ready);
            Assert.Equal(5, x.Value);
        });
    }

    [Fact]
    public void test_hub_join_ExitsBecauseTheSpawnLaterTimerRanOut()
    {
        var h = Run(async () =>
        {
            Greenlet<int> x = Gevent.SpawnLater(0.1, () => 5);
            Assert.True(await Greenlet.Current!.Hub.JoinAsync(10));
            Assert.True(x.Ready);
            Assert.Equal(5, x.Value);
        });
        Assert.Equal(TimeSpan.FromSeconds(0.1), h.Elapsed);
    }

    [Fact]
    public void test_hub_join_TimesOutWhileAGreenletIsStillScheduled_ThenJoinsAfterTheKill()
    {
        var h = Run(async () =>
        {
            Greenlet<int> x = Gevent.SpawnLater(10, () => 5);
            Hub hub = Greenlet.Current!.Hub;
            Assert.False(await hub.JoinAsync(TimeSpan.FromSeconds(0.2)));
            Assert.False(x.Ready);
            x.Kill();
            Assert.True(await hub.JoinAsync());
        });
        Assert.Equal(TimeSpan.FromSeconds(0.2), h.Elapsed);
    }

    [Fact]
    public void JoinAsync_DoesNotWaitForGreenletsBlockedForever()
    {
        Run(async () =>
        {
            var never = new Event();
            Greenlet blocked = Go(async () => await never.WaitAsync());
            Greenlet busy = Go(async () => await Gevent.Sleep(3));
            Assert.True(await Greenlet.Current!.Hub.JoinAsync());
            Assert.True(busy.Ready);
            Assert.False(blocked.Ready);
        });
    }

    [Fact]
    public void JoinAsync_WaitsForKeepAlive()
    {
        var h = Run(async () =>
        {
            Hub hub = Greenlet.Current!.Hub;
            IDisposable keep = hub.KeepAlive();
            Assert.False(await hub.JoinAsync(1));
            keep.Dispose();
            Assert.True(await hub.JoinAsync(1));
        });
        Assert.Equal(TimeSpan.FromSeconds(1), h.Elapsed);
    }
}
