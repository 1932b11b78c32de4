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

    [Fact]
    public void AWholeHeadRepeated_IsParsedAlike_IntoNewHeaders_ThatAHandlerMayChange()
    {
        var recent = new RecentStrings();
        const string Raw = "POST /form?x=1 HTTP/1.0\r\nHost: h\r\nContent-Length: 3\r\nX-Two: a\r\nX-Two: b\r\n\r\n";

        RequestHead first = Parse(Raw, recent);
        first.Headers.Add("X-Added", "by a handler");
        first.Headers["Host"] = "changed";
        RequestHead second = Parse(Raw, recent);
        RequestHead plain = Parse(Raw, null);

        Assert.NotSame(first.Headers, second.Headers);
        Assert.Equal((plain.Method, plain.Target, plain.Version), (second.Method, second.Target, second.Version));
        Assert.Equal(plain.Headers.Select(f => (f.Key, f.Value)), second.Headers.Select(f => (f.Key, f.Value)));
        Assert.Same(first.Target, second.Target);
    }

    [Fact]
    public void AWholeHeadRepeated_UnderOtherLimits_IsHeldToThem()
    {
        var recent = new RecentStrings();
        const string Raw = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n";
        Parse(Raw, recent);

        var rejected = Assert.Throws<HttpBadRequestException>(
            () => HttpRequestParser.TryParse(Encoding.Latin1.GetBytes(Raw), new HeadLimits(1024, 256, MaxHeaders: 1), out _, out _, recent));

        Assert.Equal(431, rejected.StatusCode);
    }

    [Fact]
    public void AHeadDifferingInItsLastByte_IsParsedAfresh()
    {
        var recent = new RecentStrings();
        Parse("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n", recent);

        RequestHead changed = Parse("GET / HTTP/1.1\r\nHost: a\r\nX: 2\r\n\r\n", recent);
        RequestHead shorter = Parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", recent);

        Assert.Equal("2", changed.Headers["X"]);
        Assert.Equal(["Host"], shorter.Headers.Select(f => f.Key));
    }

    [Fact]
    public void AHeadLongerThanTheKeptOnes_IsParsedEveryTime()
    {
        var recent = new RecentStrings();
        string fields = string.Concat(Enumerable.Range(0, 8).Select(i => $"H{i}: v\r\n")); // the kept places: X-Long comes after them
        string raw = "GET / HTTP/1.1\r\n" + fields + "X-Long: " + new string('v', RecentStrings.MaxKeptHead) + "\r\n\r\n";
        string shortRaw = "GET / HTTP/1.1\r\n" + fields + "X-Short: v\r\n\r\n";

        RequestHead first = Parse(raw, recent);
        RequestHead second = Parse(raw, recent);
        RequestHead shortFirst = Parse(shortRaw, recent);
        RequestHead shortSecond = Parse(shortRaw, recent);

        Assert.Equal(RecentStrings.MaxKeptHead, second.Headers["X-Long"]!.Length);
        Assert.NotSame(first.Headers["X-Long"], second.Headers["X-Long"]); // decoded again
        Assert.Same(shortFirst.Headers["X-Short"], shortSecond.Headers["X-Short"]); // a short head is kept whole, strings and all
    }

    private static RequestHead Parse(string raw, RecentStrings? recent)
    {
        Assert.True(HttpRequestParser.TryParse(Encoding.Latin1.GetBytes(raw), new HeadLimits(4096, 256, 16), out _, out RequestHead head, recent));
        return head;
    }
}
