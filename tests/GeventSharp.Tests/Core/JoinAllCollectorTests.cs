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
}
