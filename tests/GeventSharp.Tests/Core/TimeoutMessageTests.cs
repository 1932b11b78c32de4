using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>A timeout's message (formatted on first read) reads like gevent's.</summary>
public class TimeoutMessageTests
{
    [Theory]
    [InlineData(1.0, "1 second")]
    [InlineData(2.0, "2 seconds")]
    [InlineData(0.5, "0.5 seconds")]
    public void Message_And_ToString_LikeGevent(double seconds, string expected)
    {
        var t = new Timeout(seconds);
        Assert.Equal(expected, t.Message);
        Assert.Equal(expected, t.ToString());
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
