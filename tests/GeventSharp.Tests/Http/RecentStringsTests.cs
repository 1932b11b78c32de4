using System.Text;
using GeventSharp.Http;
using Xunit;

namespace GeventSharp.Tests.Http;

/// <summary>
/// <see cref="RecentStrings"/> through the parser: a head that repeats the last one's target and
/// header values gets the same strings back; anything else is decoded as without it.
/// </summary>
public class RecentStringsTests
{
    private static readonly HeadLimits s_limits = new(1024, 256, 16);

    [Fact]
    public void ARepeatedHead_GetsTheSameStrings_AndEqualToWhatThePlainParserMakes()
    {
        var recent = new RecentStrings();
        const string Raw = "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nAccept: text/plain\r\n\r\n";

        RequestHead first = Parse(Raw, recent);
        RequestHead second = Parse(Raw, recent);
        RequestHead plain = Parse(Raw, null);

        Assert.Same(first.Target, second.Target);
        Assert.Same(first.Headers["Host"], second.Headers["Host"]);
        Assert.Same(first.Headers["Accept"], second.Headers["Accept"]);
        Assert.Equal(plain.Target, second.Target);
        Assert.Equal(plain.Headers.Select(f => (f.Key, f.Value)), second.Headers.Select(f => (f.Key, f.Value)));
    }

    [Fact]
    public void AChangedTargetOrValue_IsDecodedAfresh_AndKeptForTheNext()
    {
        var recent = new RecentStrings();
        Parse("GET /a HTTP/1.1\r\nHost: one\r\n\r\n", recent);

        RequestHead changed = Parse("GET /ab HTTP/1.1\r\nHost: two\r\n\r\n", recent);
        RequestHead again = Parse("GET /ab HTTP/1.1\r\nHost: two\r\n\r\n", recent);

        Assert.Equal("/ab", changed.Target);
        Assert.Equal("two", changed.Headers["Host"]);
        Assert.Same(changed.Target, again.Target);
        Assert.Same(changed.Headers["Host"], again.Headers["Host"]);
    }

    [Fact]
    public void ValuesArePlaced_ByTheirPositionInTheHead()
    {
        var recent = new RecentStrings();
        Parse("GET / HTTP/1.1\r\nA: x\r\nB: y\r\n\r\n", recent);

        RequestHead swapped = Parse("GET / HTTP/1.1\r\nA: y\r\nB: x\r\n\r\n", recent);

        Assert.Equal("y", swapped.Headers["A"]);
        Assert.Equal("x", swapped.Headers["B"]);
    }

    [Fact]
    public void ALatin1Value_IsDecodedAsLatin1_AndNotKept()
    {
        var recent = new RecentStrings();
        const string Raw = "GET / HTTP/1.1\r\nX-Latin: caf\u00e9\r\n\r\n";

        RequestHead first = Parse(Raw, recent);
        RequestHead second = Parse(Raw, recent);

        Assert.Equal("caf\u00e9", first.Headers["X-Latin"]);
        Assert.Equal("caf\u00e9", second.Headers["X-Latin"]);
        Assert.NotSame(first.Headers["X-Latin"], second.Headers["X-Latin"]);
    }

    [Fact]
    public void FieldsBeyondTheKeptPlaces_AreStillDecoded()
    {
        var recent = new RecentStrings();
        string raw = "GET / HTTP/1.1\r\n" + string.Concat(Enumerable.Range(0, 12).Select(i => $"H{i}: v{i}\r\n")) + "\r\n";

        RequestHead first = Parse(raw, recent);
        RequestHead second = Parse(raw, recent);

        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"v{i}"), second.Headers.Select(f => f.Value));
        Assert.Same(first.Headers["H0"], second.Headers["H0"]);
        Assert.Equal(first.Headers["H11"], second.Headers["H11"]);
    }

    private static RequestHead Parse(string raw, RecentStrings? recent)
    {
        Assert.True(HttpRequestParser.TryParse(Encoding.Latin1.GetBytes(raw), s_limits, out _, out RequestHead head, recent));
        return head;
    }
}
