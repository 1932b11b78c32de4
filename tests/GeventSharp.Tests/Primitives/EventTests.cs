using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

public sealed class EventTests
{
    [Fact]
    public void Set_WakesEveryWaiter_InWaitOrder_AfterTheSetterYields()
    {
        Run(async () =>
        {
            var e = new Event();
            var log = new List<string>();
            var ws = Enumerable.Range(0, 3).Select(i => Go(async () => { await e.WaitAsync(); log.Add($"w{i}"); })).ToList();
            await Settle();
            e.Set();
            log.Add("set returned"); // waiters are scheduled, not run inside Set
            await Gevent.JoinAllAsync(ws);
            Assert.Equal(new[] { "set returned", "w0", "w1", "w2" }, log);
        });
    }

    [Fact]
    public void WaitAsync_OnSetEvent_CompletesSynchronously()
    {
        Run(async () =>
        {
            var e = new Event();
            e.Set();
            ValueTask<bool> w = e.WaitAsync();
            Assert.True(w.IsCompletedSuccessfully);
            Assert.True(await w);
        });
    }

    [Fact]
    public void Clear_MakesLaterWaitsBlock()
    {
        Run(async () =>
        {
            var e = new Event();
            e.Set();
            e.Clear();
            Assert.False(e.IsSet);
            Assert.False(await e.WaitAsync(0.5));
        });
    }

    [Fact]
    public void WokenWaiter_ReturnsTrue_EvenIfClearedBeforeItRuns()
    {
        Run(async () =>
        {
            var e = new Event();
            Greenlet<bool> w = Go(() => e.WaitAsync().AsTask());
            await Settle();
            e.Set();
            e.Clear();
            Assert.True(await w);
        });
    }

    [Fact]
    public void Rawlink_RunsOnceWhenSet_AndUnlinkRemovesIt()
    {
        Run(async () =>
        {
            var e = new Event();
            int calls = 0;
            Action<Waitable> a = _ => calls++;
            Action<Waitable> b = _ => calls += 100;
            e.Rawlink(a);
            e.Rawlink(b);
            Assert.True(e.Unlink(b));
            e.Set();
            await Settle();
            e.Set();
            await Settle();
            Assert.Equal(1, calls);
        });
    }

    [Fact]
    public void AwaitingTheEvent_WaitsForSet()
    {
        var h = Run(async () =>
        {
            var e = new Event();
            Fork(async () => { await Gevent.Sleep(3); e.Set(); });
            await e;
        });
        Assert.Equal(TimeSpan.FromSeconds(3), h.Elapsed);
    }

    [Fact]
    public void Set_OutsideAHub_Throws()
    {
        var e = new Event();
        Assert.Throws<InvalidOperationException>(() => e.Set());
    }

    [Fact]
    public void ToString_ShowsStateAndWaiters()
    {
        Run(async () =>
        {
            var e = new Event();
            Fork(() => e.WaitAsync().AsTask());
            await Settle();
            Assert.Equal("<Event clear, 1 waiter>", e.ToString());
            e.Set();
            Assert.Equal("<Event set, 0 waiters>", e.ToString());
        });
    }
}
