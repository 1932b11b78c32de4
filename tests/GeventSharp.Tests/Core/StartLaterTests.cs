using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// <c>StartLater</c> (its armed timer is kept in the greenlet's pending-body field until the body
/// starts): the greenlet starts when the timer fires, a kill before that disarms it for good, and a
/// disarmed start timer does not keep the hub busy.
/// </summary>
public sealed class StartLaterTests
{
    private readonly HubHarness _h = new();

    [Fact]
    public void StartLater_StartsTheBody_WhenTheTimerFires()
    {
        _h.Run(async () =>
        {
            TimeSpan startedAt = TimeSpan.MinValue;
            var g = new Greenlet(() => startedAt = _h.Elapsed);
            g.StartLater(TimeSpan.FromSeconds(2));
            Assert.True(g.Started);
            await Gevent.Sleep(1);
            Assert.Equal(TimeSpan.MinValue, startedAt);
            Assert.True(await g.JoinAsync());
            Assert.Equal(TimeSpan.FromSeconds(2), startedAt);
            Assert.True(g.Successful);
        });
    }

    [Fact]
    public void KillBeforeTheTimer_NeverRunsTheBody_AndTheHubDoesNotWaitForTheTimer()
    {
        int runs = 0;
        Greenlet? g = null;
        _h.Run(async () =>
        {
            g = new Greenlet(() => runs++);
            g.StartLater(TimeSpan.FromSeconds(5));
            g.Kill();
            Assert.True(g.Ready);
            Assert.True(await Greenlet.Current!.Hub.JoinAsync(TimeSpan.FromSeconds(60)));
        });

        Assert.Equal(0, runs);
        Assert.IsType<GreenletExit>(g!.Value);
        Assert.Equal(TimeSpan.Zero, _h.Elapsed); // the dead start timer neither ran nor was waited for
    }
}
