using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Core;

public class WaitTests
{
    private readonly HubHarness _h = new();

    private static Greenlet SleepFor(double seconds, string name)
    {
        Greenlet g = Gevent.Spawn(() => Gevent.Sleep(seconds).AsTask());
        g.Name = name;
        return g;
    }

    [Fact]
    public void JoinAll_WaitsForAll_ReturningThemInCompletionOrder()
    {
        _h.Run(async () =>
        {
            var gs = new[] { SleepFor(3, "c"), SleepFor(1, "a"), SleepFor(2, "b") };
            IReadOnlyList<Greenlet> done = await Gevent.JoinAllAsync(gs);
            Assert.Equal(new[] { "a", "b", "c" }, done.Select(g => g.Name));
        });

        Assert.Equal(TimeSpan.FromSeconds(3), _h.Elapsed);
    }

    [Fact]
    public void JoinAll_WithTimeout_ReturnsOnlyTheFinished_InCompletionOrder()
    {
        _h.Run(async () =>
        {
            var gs = new[] { SleepFor(5, "slow"), SleepFor(2, "b"), SleepFor(1, "a") };
            IReadOnlyList<Greenlet> done = await Gevent.JoinAllAsync(gs, TimeSpan.FromSeconds(2.5));
            Assert.Equal(new[] { "a", "b" }, done.Select(g => g.Name));
            Assert.Equal(TimeSpan.FromSeconds(2.5), _h.Elapsed);
            Assert.All(gs, g => Assert.Equal(0, g.LinkCount)); // nothing left linked
        });
    }

    [Fact]
    public void JoinAll_WithCount_ReturnsAfterThatMany()
    {
        _h.Run(async () =>
        {
            var gs = new[] { SleepFor(3, "c"), SleepFor(1, "a"), SleepFor(2, "b") };
            IReadOnlyList<Greenlet> done = await Gevent.JoinAllAsync(gs, count: 2);
            Assert.Equal(new[] { "a", "b" }, done.Select(g => g.Name));
            Assert.Equal(TimeSpan.FromSeconds(2), _h.Elapsed);
        });
    }

    [Fact]
    public void JoinAll_RaiseError_RethrowsTheFirstFailure()
    {
        _h.Run(async () =>
        {
            Greenlet bad = Gevent.Spawn(async () => { await Gevent.Sleep(1); throw new KeyNotFoundException(); });
            Greenlet slow = SleepFor(10, "slow");
            await Assert.ThrowsAsync<KeyNotFoundException>(() => Gevent.JoinAllAsync(new[] { slow, bad }, raiseError: true));
            Assert.Equal(TimeSpan.FromSeconds(1), _h.Elapsed);
            Assert.False(slow.Ready);
        });
    }

    [Fact]
    public void JoinAll_OfAlreadyDeadGreenlets_ReturnsThemInTheOrderGiven()
    {
        _h.Run(async () =>
        {
            Greenlet a = Gevent.Spawn(() => { });
            Greenlet b = Gevent.Spawn(() => { });
            await Gevent.Sleep(0);
            IReadOnlyList<Greenlet> done = await Gevent.JoinAllAsync(new[] { b, a });
            Assert.Equal(new[] { b, a }, done);
        });
    }

    [Fact]
    public void IWait_YieldsEachAsItFinishes()
    {
        var log = new List<string>();
        _h.Run(async () =>
        {
            var gs = new[] { SleepFor(2, "b"), SleepFor(1, "a") };
            await foreach (Greenlet g in Gevent.WaitEachAsync(gs))
            {
                log.Add($"{g.Name}@{_h.Elapsed.TotalSeconds}");
            }
        });

        Assert.Equal(new[] { "a@1", "b@2" }, log);
    }

    [Fact]
    public void Wait_AndIWait_WithATimeoutInSeconds_ReturnOnlyWhatIsReady()
    {
        var log = new List<string>();
        _h.Run(async () =>
        {
            var gs = new[] { SleepFor(3, "c"), SleepFor(1, "a"), SleepFor(2, "b") };
            IReadOnlyList<Greenlet> ready = await Gevent.WaitAsync(gs, 1.5);
            Assert.Equal(new[] { "a" }, ready.Select(g => g.Name));
            await foreach (Greenlet g in Gevent.WaitEachAsync(gs, 1))
            {
                log.Add($"{g.Name}@{_h.Elapsed.TotalSeconds}");
            }

            Assert.Equal(TimeSpan.FromSeconds(2.5), _h.Elapsed);
            Assert.True(await Gevent.KillAllAsync(gs, null, 1));
            Assert.Equal(TimeSpan.FromSeconds(2.5), _h.Elapsed);
        });

        Assert.Equal(new[] { "a@1.5", "b@2" }, log);
    }

    [Fact]
    public void KillAll_KillsEvery_AndKillAllAsyncWaits()
    {
        _h.Run(async () =>
        {
            var gs = Enumerable.Range(0, 5).Select(i => SleepFor(10, $"g{i}")).ToList();
            await Gevent.Sleep(0);
            Assert.True(await Gevent.KillAllAsync(gs));
            Assert.All(gs, g => Assert.True(g.Ready && g.Successful));

            var more = Enumerable.Range(0, 3).Select(i => SleepFor(10, $"m{i}")).ToList();
            Gevent.KillAll(more);
            Assert.All(more, g => Assert.True(g.Ready)); // unstarted: dead at once, never ran
        });
    }
}
