using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// The hub's public calls for code built on the library (GeventSharp.Http uses them, as a
/// third-party server would): <see cref="Hub.CurrentOrThrow"/> and <see cref="Hub.ReportError"/>.
/// </summary>
public class HubExtensionPointTests
{
    [Fact]
    public void CurrentOrThrow_OnAHub_IsThatHub()
    {
        Hub? seen = null;
        Gevent.Run(() => seen = Hub.CurrentOrThrow("MyServer.Start"));

        Assert.NotNull(seen);
    }

    [Fact]
    public void CurrentOrThrow_OffAHub_NamesTheCall_AndHowToGetOnAHub()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Hub.CurrentOrThrow("MyServer.Start"));

        Assert.StartsWith("MyServer.Start must be called on a hub thread", e.Message, StringComparison.Ordinal);
        Assert.Contains("Gevent.Run", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportError_GoesToTheErrorHandler_WithTheGreenlet_AndTheGreenletGoesOn()
    {
        var h = new HubHarness();
        string? after = null;
        h.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(async () =>
            {
                Hub.Current!.ReportError(Greenlet.Current, new InvalidOperationException("handler failed"));
                await Gevent.Sleep(1);
                after = "still running";
            });
            await g.JoinAsync();
            Assert.True(g.Successful);
        });

        (Greenlet? greenlet, Exception error) = Assert.Single(h.Errors);
        Assert.NotNull(greenlet);
        Assert.Equal("handler failed", error.Message);
        Assert.Equal("still running", after);
    }

    [Fact]
    public void ReportError_WhenTheHandlerThrows_DoesNotThrowToTheCaller()
    {
        var seen = new List<string>();
        Gevent.Run(
            () =>
            {
                Hub.Current!.ReportError(null, new InvalidOperationException("reported"));
                seen.Add("caller went on");
            },
            new HubOptions { ErrorHandler = (_, e) => { seen.Add(e.Message); throw new InvalidOperationException("handler broke"); } });

        Assert.Equal(["reported", "caller went on"], seen);
    }
}
