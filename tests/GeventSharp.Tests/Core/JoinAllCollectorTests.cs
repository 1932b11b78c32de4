using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// JoinAllAsync, WaitAsync and WaitEachAsync record an object the moment it becomes ready, without a
/// hub callback of their own, unless a user's link is waiting on it too: then every link is scheduled
/// in order, and the waiting greenlet resumes after the user's callback ran.
/// </summary>
public class JoinAllCollectorTests
{
    [Fact]
    public void JoinAll_RunsEachGreenletOnce_AndMainOnce_NoCallbackPerGreenlet()
    {
        Gevent.Run(async () =>
        {
            Hub hub = Hub.Current!;
            var greenlets = Enumerable.Range(0, 50).Select(_ => Gevent.Spawn(static () => { })).ToArray();
            long before = hub.SwitchCount;
            IReadOnlyList<Greenlet> done = await Gevent.JoinAllAsync(greenlets);
            Assert.Equal(greenlets, done);
            Assert.Equal(51, hub.SwitchCount - before); // 50 greenlets and main's resume: no notifier items
            Assert.All(greenlets, g => Assert.Equal(0, g.LinkCount));
        });
    }

    [Fact]
    public void JoinAll_OnAGreenletWithAUserLink_ResumesAfterThatLinkRan()
    {
        Gevent.Run(async () =>
        {
            var seen = new List<string>();
            Greenlet g = Gevent.Spawn(() => seen.Add("body"));
            g.Link(_ => seen.Add("user link"));
            await Gevent.JoinAllAsync(new[] { g });
            seen.Add("joined");
            Assert.Equal(new[] { "body", "user link", "joined" }, seen);
        });
    }

    [Fact]
    public void WaitAsync_OnAnEventWithAUserLink_ResumesAfterThatLinkRan()
    {
        Gevent.Run(async () =>
        {
            var seen = new List<string>();
            var evt = new Event();
            evt.Rawlink(_ => seen.Add("user link"));
            Gevent.Spawn(() => evt.Set());
            await Gevent.WaitAsync(new[] { evt });
            seen.Add("waited");
            Assert.Equal(new[] { "user link", "waited" }, seen);
        });
    }

    [Fact]
    public void WaitEach_AndJoinAll_SeeTheSameOrder_OfGreenletsAndEvents()
    {
        Gevent.Run(async () =>
        {
            var evt = new Event();
            Greenlet late = Gevent.Spawn(async () =>
            {
                await Gevent.Sleep(0);
                evt.Set();
            });
            Greenlet early = Gevent.Spawn(static () => { });
            Waitable[] all = [late, evt, early];
            Greenlet<IReadOnlyList<Waitable>> joined = Gevent.Spawn(() => Gevent.WaitAsync(all));
            var each = new List<Waitable>();
            await foreach (Waitable w in Gevent.WaitEachAsync(all))
            {
                each.Add(w);
            }

            Assert.Equal(new Waitable[] { early, evt, late }, each);
            Assert.Equal(each, await joined);
        });
    }

    [Fact]
    public void JoinAll_OnAnArray_ThatEndsEarly_TakesBackEveryLinkItMade()
    {
        Gevent.Run(async () =>
        {
            var gate = new Event();
            Greenlet fast = Gevent.Spawn(() => { });
            Greenlet slow1 = Gevent.Spawn(() => gate.WaitAsync());
            Greenlet slow2 = Gevent.Spawn(() => gate.WaitAsync());
            var array = new[] { slow1, fast, slow2 };
            IReadOnlyList<Greenlet> done = await Gevent.JoinAllAsync(array, count: 1);
            Assert.Equal(new[] { fast }, done);
            Assert.Equal(0, slow1.LinkCount);
            Assert.Equal(0, slow2.LinkCount);

            var list = new List<Greenlet> { slow1, slow2 };
            Assert.Empty(await Gevent.JoinAllAsync(list, TimeSpan.Zero));
            Assert.Empty(await Gevent.JoinAllAsync(list, 0.001));
            Assert.Equal(0, slow1.LinkCount);
            Assert.Equal(0, slow2.LinkCount);

            var events = new[] { new Event(), new Event() };
            Gevent.Spawn(() => events[1].Set());
            IReadOnlyList<Event> ready = await Gevent.WaitAsync(events, count: 1);
            Assert.Same(events[1], Assert.Single(ready));
            Assert.Equal(0, events[0].LinkCount);
            gate.Set();
        });
    }

    [Fact]
    public void JoinAll_OnAnArrayTheCallerChangesWhileWaiting_ReturnsWhatFinished_AndLaterArrivalsDoNotTouchTheResult()
    {
        Gevent.Run(async () =>
        {
            var gate = new Event();
            var late = new Event();
            Greenlet fast = Gevent.Spawn(() => { });
            Greenlet slow = Gevent.Spawn(() => gate.WaitAsync());
            Greenlet other = Gevent.Spawn(() => late.WaitAsync());
            var array = new[] { slow, fast };
            Gevent.Spawn(() => { array[0] = other; }); // runs before the wait returns: the array changes under it
            IReadOnlyList<Greenlet> done = await Gevent.JoinAllAsync(array, count: 1);
            Assert.Equal(new[] { fast }, done);
            Assert.Equal(0, other.LinkCount); // never linked, so nothing taken from it
            gate.Set();
            await slow.JoinAsync(); // its link (no longer reachable through the array) runs into the closed wait
            await Gevent.Sleep(0);
            Assert.Equal(new[] { fast }, done);
            Assert.Equal(0, slow.LinkCount);
            late.Set();
        });
    }

    [Fact]
    public void JoinAll_OnALazySequence_StillWorks_InFinishOrder()
    {
        Gevent.Run(async () =>
        {
            var a = new Event();
            var b = new Event();
            Greenlet ga = Gevent.Spawn(() => a.WaitAsync());
            Greenlet gb = Gevent.Spawn(() => b.WaitAsync());
            Gevent.Spawn(async () => { b.Set(); await Gevent.Sleep(0); a.Set(); });
            IReadOnlyList<Greenlet> done = await Gevent.JoinAllAsync(new[] { ga, gb }.Where(_ => true));
            Assert.Equal(new[] { gb, ga }, done);
        });
    }
}
