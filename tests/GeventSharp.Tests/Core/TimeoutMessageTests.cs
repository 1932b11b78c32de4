using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>A timeout's message (formatted on first read) reads like gevent's.</summary>
public class TimeoutMessageTests
{
    [Theory]
    [InlineData(1.0, "1 second")]
    [InlineData(2.0, "2 seconds")]
    [InlineData(0.5, "0.5 seconds")]
    public void Message_LikeGevent_ToString_LikeOtherExceptions(double seconds, string expected)
    {
        var t = new Timeout(seconds);
        Assert.Equal(expected, t.Message);
        Assert.Equal("GeventSharp.Timeout: " + expected, t.ToString());
    }

    [Fact]
    public void ToString_OfARaisedTimeout_HasTheTypeTheMessageAndTheStack()
    {
        Timeout? caught = null;
        new GeventSharp.Testing.HubHarness().Run(async () =>
        {
            try
            {
                using (Timeout.StartNew(0.01))
                {
                    await Gevent.Sleep(1);
                }
            }
            catch (Timeout t)
            {
                caught = t;
            }
        });

        Assert.NotNull(caught);
        string text = caught.ToString();
        Assert.StartsWith("GeventSharp.Timeout: 0.01 seconds", text, StringComparison.Ordinal);
        Assert.Contains("\n   at ", text, StringComparison.Ordinal); // the stack, as any exception's ToString shows it
        Assert.Equal("0.01 seconds", caught.Message);
    }

    [Fact]
    public void InfiniteForwarders_AreTheBclsConstants_AndAnInfiniteTimeoutNeverFires()
    {
        Assert.Equal(System.Threading.Timeout.Infinite, Timeout.Infinite);
        Assert.Equal(System.Threading.Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var never = new Timeout(Timeout.InfiniteTimeSpan);
        Assert.Null(never.Duration);
        Assert.Equal("Timeout (never fires)", never.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Timeout(Timeout.Infinite)); // -1 is not a number of seconds
        new GeventSharp.Testing.HubHarness().Run(async () =>
        {
            using Timeout t = Timeout.StartNew(Timeout.InfiniteTimeSpan);
            Assert.False(t.Pending);
            await Gevent.Sleep(10); // not interrupted
        });
    }

    [Fact]
    public void Message_NamesCustomException_AndNeverFires()
    {
        Assert.Equal("1 second: InvalidOperationException", new Timeout(1, new InvalidOperationException()).Message);
        Assert.Equal("3 seconds: TimeZoneNotFoundException", new Timeout(3, typeof(TimeZoneNotFoundException)).Message);
        Assert.Equal("Timeout (never fires)", new Timeout().Message);
        Assert.Throws<ArgumentNullException>(() => new Timeout(1, (Exception)null!));
        Assert.Throws<ArgumentException>(() => new Timeout(1, typeof(string)));
    }

    [Fact]
    public void CaughtTimeout_HasItsMessage()
    {
        string? caught = null;
        var h = new GeventSharp.Testing.HubHarness();
        h.Run(async () =>
        {
            try
            {
                using (Timeout.StartNew(1))
                {
                    await Gevent.Sleep(10);
                }
            }
            catch (Timeout e)
            {
                caught = e.Message;
            }
        });
        Assert.Equal("1 second", caught);
    }
}
