using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

/// <summary>gevent's test__pool.py start/add with blocking and timeout (Pool.start(greenlet, blocking, timeout)).</summary>
public sealed class GroupStartTests
{
    [Fact]
    public void test_start_AddsAndStartsAnUnstartedGreenlet()
    {
        Run(async () =>
        {
            var group = new Group();
            var g = new Greenlet<int>(() => 42);
            group.Start(g);
            Assert.True(g.Started);
            Assert.Contains(g, group);
            Assert.Equal(42, await g);
            await Settle();
            Assert.Empty(group);
        });
    }

    [Fact]
    public void test_start_method_non_blocking_RaisesFull_AndLeavesTheGreenletUnstarted()
    {
        Run(async () =>
        {
            var pool = new Pool(1);
            var first = new Greenlet(async () => await Gevent.Sleep(0.2));
            pool.Start(first);
            var second = new Greenlet<int>(() => 42);
            Assert.Throws<QueueFullException>(() => pool.Start(second));
            Assert.False(second.Started);
            Assert.Single(pool);
            await first.JoinAsync();
            second.Kill();
        });
    }

    [Fact]
    public void test_start_method_timeout_RaisesFull_ThenABlockingStartWaitsForRoom()
    {
        var h = Run(async () =>
        {
            var pool = new Pool(1);
            var first = new Greenlet(async () => await Gevent.Sleep(0.2));
            await pool.StartAsync(first);
            var second = new Greenlet<int>(() => 42);
            await Assert.ThrowsAsync<QueueFullException>(async () => await pool.StartAsync(second, 0.05));
            Assert.False(second.Started);
            Assert.Single(pool);

            await pool.StartAsync(second); // waits until first is dead
            Assert.True(first.Ready);
            Assert.True(second.Started);
            Assert.Contains(second, pool);
            Assert.Equal(42, await second);
        });
        Assert.Equal(TimeSpan.FromSeconds(0.2), h.Elapsed);
    }

    [Fact]
    public void StartAsync_OfAStartedGreenlet_OnlyAddsIt()
    {
        Run(async () =>
        {
            var pool = new Pool(2);
            Greenlet running = Go(async () => await Gevent.Sleep(1));
            await pool.StartAsync(running, TimeSpan.FromSeconds(1));
            Assert.Contains(running, pool);
            Assert.Equal(1, pool.FreeCount);
            await pool.JoinAsync();
        });
    }
}
