using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// A greenlet that is not dead, with no waiter and a single raw link (what JoinAllAsync and
/// WaitAsync give each greenlet), keeps that link inline instead of in a wait list. These pin the
/// behaviour users see through that shortcut: it is the same as with the list.
/// </summary>
public class InlineLinkTests
{
    [Fact]
    public void SingleRawlink_RunsOnce_AfterDeath_OnALaterTurn()
    {
        var seen = new List<string>();
        Gevent.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(() => seen.Add("body"));
            g.Rawlink(w => seen.Add($"link ready={w.Ready}"));
            Assert.Equal(1, g.LinkCount);
            await g.JoinAsync();
            await Gevent.Sleep(0);
            Assert.Equal(0, g.LinkCount);
        });

        Assert.Equal(new[] { "body", "link ready=True" }, seen);
    }

    [Fact]
    public void SingleRawlink_UnlinkedBeforeDeath_NeverRuns()
    {
        int runs = 0;
        Gevent.Run(async () =>
        {
            Action<Waitable> callback = _ => runs++;
            Greenlet g = Gevent.Spawn(static () => { });
            g.Rawlink(callback);
            Assert.False(g.Unlink((Action<Waitable>)(_ => { }))); // another delegate is not it
            Assert.True(g.Unlink(callback));
            Assert.Equal(0, g.LinkCount);
            await g.JoinAsync();
            await Gevent.Sleep(0);
        });

        Assert.Equal(0, runs);
    }

    [Fact]
    public void SingleRawlink_UnlinkedAfterDeath_BeforeItsTurn_NeverRuns()
    {
        int runs = 0;
        Gevent.Run(async () =>
        {
            Action<Waitable> callback = _ => runs++;
            Greenlet g = Gevent.Spawn(static () => { });
            g.Rawlink(callback);
            Greenlet unlinker = Gevent.Spawn(() => Assert.True(g.Unlink(callback))); // runs after g died, before g's notification
            await unlinker.JoinAsync();
            await Gevent.Sleep(0);
        });

        Assert.Equal(0, runs);
    }

    [Fact]
    public void SecondLink_AndJoiner_JoinTheInlineLink_InOrder()
    {
        var seen = new List<string>();
        Gevent.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(() => seen.Add("body"));
            g.Rawlink(_ => seen.Add("raw"));
            g.Link(_ => seen.Add("link"));
            Assert.Equal(2, g.LinkCount);
            Greenlet joiner = Gevent.Spawn(async () =>
            {
                await g.JoinAsync();
                seen.Add("joined");
            });
            await joiner.JoinAsync();
            await Gevent.Sleep(0);
        });

        // The links run in the order they were made, on a hub callback after the greenlets already queued.
        Assert.Equal(new[] { "body", "joined", "raw", "link" }, seen);
    }

    [Fact]
    public void LinkAddedToADeadGreenlet_WhileItsInlineLinkIsPending_RunsAfterIt()
    {
        var seen = new List<string>();
        Gevent.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(static () => { });
            g.Rawlink(_ => seen.Add("first"));

            // Runs right after g dies, before the hub callback that runs g's links.
            Greenlet late = Gevent.Spawn(() =>
            {
                Assert.True(g.Ready);
                Assert.Equal(1, g.LinkCount);
                g.Rawlink(_ => seen.Add("second"));
                Assert.Equal(2, g.LinkCount);
            });
            await late.JoinAsync();
            await Gevent.Sleep(0);
            await Gevent.Sleep(0);
            Assert.Equal(0, g.LinkCount);
        });

        Assert.Equal(new[] { "first", "second" }, seen);
    }

    [Fact]
    public void InlineLink_ThatThrows_IsReported_AndOthersStillRun()
    {
        var errors = new List<Exception>();
        var seen = new List<int>();
        Gevent.Run(
            async () =>
            {
                Greenlet a = Gevent.Spawn(static () => { });
                Greenlet b = Gevent.Spawn(static () => { });
                a.Rawlink(_ => throw new InvalidOperationException("link"));
                b.Rawlink(_ => seen.Add(2));
                await Gevent.JoinAllAsync(new[] { a, b });
                await Gevent.Sleep(0);
            },
            new HubOptions { ErrorHandler = (_, e) => errors.Add(e) });

        Assert.Equal("link", Assert.Single(errors).Message);
        Assert.Equal(new[] { 2 }, seen);
    }

    [Fact]
    public void JoinAll_SameGreenletTwice_ReturnsItTwice_AndLeavesNoLink()
    {
        Gevent.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(static () => { });
            IReadOnlyList<Greenlet> done = await Gevent.JoinAllAsync(new[] { g, g });
            Assert.Equal(new[] { g, g }, done);
            Assert.Equal(0, g.LinkCount);
        });
    }

    [Fact]
    public void JoinAll_WithCount_LeavesNoLinkOnTheOthers_AndTheirOwnLinksStillRun()
    {
        var seen = new List<string>();
        Gevent.Run(async () =>
        {
            Greenlet fast = Gevent.Spawn(static () => { });
            Greenlet slow = Gevent.Spawn(() => Gevent.Sleep(0.01).AsTask());
            IReadOnlyList<Greenlet> done = await Gevent.JoinAllAsync(new[] { slow, fast }, count: 1);
            Assert.Equal(new[] { fast }, done);
            Assert.Equal(0, slow.LinkCount);
            slow.Rawlink(_ => seen.Add("slow's own link"));
            await slow.JoinAsync();
            await Gevent.Sleep(0);
        });

        Assert.Equal(new[] { "slow's own link" }, seen);
    }

    [Fact]
    public void WaitAsync_OnGreenletsAndAnEvent_ReturnsThemInTheOrderTheyBecameReady()
    {
        Gevent.Run(async () =>
        {
            var evt = new Event();
            Greenlet setter = Gevent.Spawn(async () =>
            {
                await Gevent.Sleep(0);
                evt.Set();
            });
            Greenlet first = Gevent.Spawn(static () => { });
            IReadOnlyList<Waitable> ready = await Gevent.WaitAsync(new Waitable[] { evt, setter, first });
            Assert.Equal(new Waitable[] { first, evt, setter }, ready);
        });
    }
}
