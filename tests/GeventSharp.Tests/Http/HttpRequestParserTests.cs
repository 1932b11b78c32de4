using System.Text;
using GeventSharp.Http;
using Xunit;

namespace GeventSharp.Tests.Http;

/// <summary>
/// <see cref="HttpRequestParser"/> alone, over bytes: valid heads parse to the same record whole
/// and byte by byte, every prefix asks for more and consumes nothing, and malformed heads are
/// refused with their reason and status.
/// </summary>
public class HttpRequestParserTests
{
    private const int MaxHead = 256;
    private const int MaxLine = 128;
    private const int MaxHeaders = 4;
    private static readonly HeadLimits s_limits = new(MaxHead, MaxLine, MaxHeaders);

    public static TheoryData<string, string, string, string, string> ValidHeads() => new()
    {
        // raw head, method, target, version, headers as "Name=value;..."
        { "GET / HTTP/1.1\r\n\r\n", "GET", "/", "HTTP/1.1", "" },
        { "GET / HTTP/1.0\r\n\r\n", "GET", "/", "HTTP/1.0", "" },
        { "POST /a/b?c=d&e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", "POST", "/a/b?c=d&e", "HTTP/1.1", "Host=x;Content-Length=5" },
        { "PROPFIND * HTTP/1.1\r\nhost:x\r\n\r\n", "PROPFIND", "*", "HTTP/1.1", "host=x" },
        { "GET http://example.com/p HTTP/1.1\r\nX-A:  \t spaced \t \r\n\r\n", "GET", "http://example.com/p", "HTTP/1.1", "X-A=spaced" },
        { "GET / HTTP/1.1\r\nX-Empty:\r\nX-Tab: a\tb\r\n\r\n", "GET", "/", "HTTP/1.1", "X-Empty=;X-Tab=a\tb" },
        { "GET / HTTP/1.1\r\nX-Latin: caf\u00e9\r\n\r\n", "GET", "/", "HTTP/1.1", "X-Latin=caf\u00e9" },
        { "M-!#$%&'*+.^_`|~ /%20 HTTP/1.1\r\nA: 1\r\nA: 2\r\nB: 3\r\nC: 4\r\n\r\n", "M-!#$%&'*+.^_`|~", "/%20", "HTTP/1.1", "A=1;A=2;B=3;C=4" },
    };

    public static TheoryData<string, string, int> MalformedHeads() => new()
    {
        { "GET / HTTP/1.1\nHost: x\r\n\r\n", nameof(RejectReason.BareLineFeedInHead), 400 },
        { "GET / HTTP/1.1\nHost: x\n\n", nameof(RejectReason.BareLineFeedInHead), 400 },
        { "GET / HTTP/1.1\r\nHost: x\n\n", nameof(RejectReason.BareLineFeedInHead), 400 },
        { "GET / HTTP/1.1\n", nameof(RejectReason.BareLineFeedInHead), 400 },
        { "\n", nameof(RejectReason.BareLineFeedInHead), 400 },
        { "GET / HTTP/1.1\r\nHost: a\rb", nameof(RejectReason.ControlCharacterInHead), 400 },
        { "G\u0000", nameof(RejectReason.ControlCharacterInHead), 400 },
        { "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u00fc\u0003\u0003", nameof(RejectReason.TlsHandshakeOnPlainPort), 400 },
        { "\u0016\u0003\u0001 / HTTP/1.1\r\n\r\n", nameof(RejectReason.TlsHandshakeOnPlainPort), 400 },
        { "GE(", nameof(RejectReason.MethodNotToken), 400 },
        { " ", nameof(RejectReason.RequestLineNotThreeParts), 400 },
        { "GET /a\u00ff", nameof(RejectReason.InvalidTarget), 400 },
        { "GET /a b HTTP", nameof(RejectReason.InvalidTarget), 400 },
        { "GET / HTTX", nameof(RejectReason.VersionMalformed), 400 },
        { "GET / HTTP/1.1x", nameof(RejectReason.VersionMalformed), 400 },
        { "GET /" + new string('a', MaxLine) + " HTTP/1.1\r\n\r\n", nameof(RejectReason.RequestLineTooLong), 414 },
        { "GET /" + new string('a', MaxLine), nameof(RejectReason.RequestLineTooLong), 414 },
        { "GET /" + new string('a', MaxLine) + " HTTP/1.1\r\nA: b", nameof(RejectReason.RequestLineTooLong), 414 },
        { "GET /\r\n\r\n", nameof(RejectReason.RequestLineNotThreeParts), 400 },
        { "GET\r\n\r\n", nameof(RejectReason.RequestLineNotThreeParts), 400 },
        { " / HTTP/1.1\r\n\r\n", nameof(RejectReason.RequestLineNotThreeParts), 400 },
        { "G(T / HTTP/1.1\r\n\r\n", nameof(RejectReason.MethodNotToken), 400 },
        { "GET  HTTP/1.1\r\n\r\n", nameof(RejectReason.InvalidTarget), 400 },
        { "GET /a b HTTP/1.1\r\n\r\n", nameof(RejectReason.InvalidTarget), 400 },
        { "GET /\u0001 HTTP/1.1\r\n\r\n", nameof(RejectReason.InvalidTarget), 400 },
        { "GET / HTTP/1.1x\r\n\r\n", nameof(RejectReason.VersionMalformed), 400 },
        { "GET / http/1.1\r\n\r\n", nameof(RejectReason.VersionMalformed), 400 },
        { "GET / HTTP/2.0\r\n\r\n", nameof(RejectReason.VersionNotSupported), 505 },
        { "GET / HTTP/0.9\r\n\r\n", nameof(RejectReason.VersionNotSupported), 505 },
        { "GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n", nameof(RejectReason.ObsoleteLineFolding), 400 },
        { "GET / HTTP/1.1\r\n\tA: 1\r\n\r\n", nameof(RejectReason.ObsoleteLineFolding), 400 },
        { "GET / HTTP/1.1\r\nNoColon\r\n\r\n", nameof(RejectReason.HeaderLineWithoutColon), 400 },
        { "GET / HTTP/1.1\r\n: value\r\n\r\n", nameof(RejectReason.HeaderLineWithoutColon), 400 },
        { "GET / HTTP/1.1\r\nHost : x\r\n\r\n", nameof(RejectReason.WhitespaceBeforeColon), 400 },
        { "GET / HTTP/1.1\r\nHo(st: x\r\n\r\n", nameof(RejectReason.HeaderNameNotToken), 400 },
        { "GET / HTTP/1.1\r\nHost: a\nb\r\n\r\n", nameof(RejectReason.BareLineFeedInHead), 400 },
        { "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", nameof(RejectReason.ControlCharacterInHeaderValue), 400 },
        { "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", nameof(RejectReason.ControlCharacterInHeaderValue), 400 },
        { "GET / HTTP/1.1\r\nHost: a\u007fb\r\n\r\n", nameof(RejectReason.ControlCharacterInHeaderValue), 400 },
        { "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n", nameof(RejectReason.TooManyHeaderFields), 431 },
        { "GET / HTTP/1.1\r\nA: " + new string('a', MaxHead) + "\r\n\r\n", nameof(RejectReason.HeadTooLarge), 431 },
        { "GET / HTTP/1.1\r\nA: " + new string('a', MaxHead), nameof(RejectReason.HeadTooLarge), 431 },
    };

    [Theory]
    [MemberData(nameof(ValidHeads))]
    public void AWholeHead_ParsesToItsParts_AndIsConsumed(string raw, string method, string target, string version, string headers)
    {
        byte[] input = Latin1(raw + "GET /next");

        Assert.True(HttpRequestParser.TryParse(input, s_limits, out int consumed, out RequestHead head));

        Assert.Equal(raw.Length, consumed);
        Assert.Equal((method, target, version, headers), (head.Method, head.Target, head.Version, Describe(head.Headers)));
    }

    [Theory]
    [MemberData(nameof(ValidHeads))]
    public void EveryPrefix_AsksForMore_AndConsumesNothing(string raw, string method, string target, string version, string headers)
    {
        _ = (method, target, version, headers);
        byte[] input = Latin1(raw);
        for (int cut = 0; cut < input.Length; cut++)
        {
            bool complete = HttpRequestParser.TryParse(input.AsSpan(0, cut), s_limits, out int consumed, out _);
            Assert.False(complete, $"complete at {cut} bytes");
            Assert.Equal(0, consumed);
        }
    }

    [Theory]
    [MemberData(nameof(ValidHeads))]
    public void ByteAtATime_GivesWhatTheWholeHeadGives(string raw, string method, string target, string version, string headers)
    {
        byte[] input = Latin1("\r\n\r\n" + raw); // empty lines before a request line are skipped as they come
        var buffer = new List<byte>();
        int used = 0;
        RequestHead head = default;
        bool complete = false;
        for (int i = 0; i < input.Length && !complete; i++)
        {
            buffer.Add(input[i]);
            complete = HttpRequestParser.TryParse(buffer.ToArray().AsSpan(used), s_limits, out int consumed, out head);
            used += consumed;
        }

        Assert.True(complete);
        Assert.Equal(input.Length, used);
        Assert.Equal((method, target, version, headers), (head.Method, head.Target, head.Version, Describe(head.Headers)));
    }

    [Fact]
    public void EmptyLinesBeforeTheRequestLine_AreConsumed_EvenWithoutAHead()
    {
        Assert.False(HttpRequestParser.TryParse("\r\n\r\nGE"u8, s_limits, out int consumed, out _));
        Assert.Equal(4, consumed);
    }

    [Fact]
    public void ARequestLineOfExactlyTheLimit_IsAccepted_WholeAndInPieces()
    {
        string raw = "GET /" + new string('a', MaxLine - 14) + " HTTP/1.1";
        Assert.Equal(MaxLine, raw.Length);

        Assert.False(HttpRequestParser.TryParse(Latin1(raw + "\r"), s_limits, out _, out _));
        Assert.True(HttpRequestParser.TryParse(Latin1(raw + "\r\nHost: x\r\n\r\n"), s_limits, out _, out RequestHead head));
        Assert.Equal(MaxLine - 13, head.Target.Length);
    }

    [Fact]
    public void AHeadOfExactlyTheLimit_IsAccepted()
    {
        string raw = "GET / HTTP/1.1\r\nA: " + new string('a', MaxHead - 19);
        Assert.Equal(MaxHead, raw.Length);

        Assert.True(HttpRequestParser.TryParse(Latin1(raw + "\r\n\r\n"), s_limits, out _, out RequestHead head));
        Assert.Equal(MaxHead - 19, head.Headers["A"]!.Length);
    }

    [Theory]
    [MemberData(nameof(MalformedHeads))]
    public void AMalformedHead_IsRefusedWithItsReasonAndStatus(string raw, string reasonName, int status)
    {
        RejectReason reason = Enum.Parse<RejectReason>(reasonName);
        byte[] input = Latin1(raw);

        HttpBadRequestException e = Assert.Throws<HttpBadRequestException>(() => HttpRequestParser.TryParse(input, s_limits, out _, out _));

        Assert.Equal(reason, e.Reason);
        Assert.Equal(status, e.StatusCode);
    }

    private static string Describe(HttpHeaders headers) => string.Join(";", headers.Select(f => $"{f.Key}={f.Value}"));

    private static byte[] Latin1(string s) => Encoding.Latin1.GetBytes(s);
}
