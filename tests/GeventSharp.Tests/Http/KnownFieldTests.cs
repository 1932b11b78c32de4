using System.Text;
using GeventSharp.Http;
using GeventSharp.Net;
using GeventSharp.Tests.Net;
using Xunit;

namespace GeventSharp.Tests.Http;

/// <summary>
/// The parser's record of the known names a head carries (<see cref="HttpHeaders.MayHave"/>), which lets
/// the server skip its lookups of framing, Host and Connection fields a head does not have: a name is
/// known in any case, a repeat in any case is seen, and a field added by code makes every lookup scan again.
/// </summary>
public class KnownFieldTests
{
    private static readonly HeadLimits s_limits = new(4096, 1024, 32);

    [Fact]
    public void TheKnownPlaces_NameTheFieldsTheServerLooksUp()
    {
        Assert.Equal("Host", HttpRequestParser.KnownNames[KnownField.Host]);
        Assert.Equal("Connection", HttpRequestParser.KnownNames[KnownField.Connection]);
        Assert.Equal("Content-Length", HttpRequestParser.KnownNames[KnownField.ContentLength]);
        Assert.Equal("Transfer-Encoding", HttpRequestParser.KnownNames[KnownField.TransferEncoding]);
        Assert.Equal("Expect", HttpRequestParser.KnownNames[KnownField.Expect]);
        Assert.True(HttpRequestParser.KnownNames.Length <= 32); // one bit each, repeats in the upper half
    }

    [Fact]
    public void AParsedHead_RecordsItsKnownNamesInAnyCase_AndKeepsTheirSpelling()
    {
        HttpHeaders h = Parse("GET / HTTP/1.1\r\nhost: a\r\nCONTENT-LENGTH: 0\r\nX-Other: y\r\nExpect: 100-continue\r\n\r\n");
        Assert.True(h.MayHave(KnownField.Host));
        Assert.True(h.MayHave(KnownField.ContentLength));
        Assert.True(h.MayHave(KnownField.Expect));
        Assert.False(h.MayHave(KnownField.Connection));
        Assert.False(h.MayHave(KnownField.TransferEncoding));
        Assert.False(h.MayRepeat(KnownField.Host));
        Assert.Null(h.Known(KnownField.Connection, "Connection"));
        Assert.Equal("0", h.Known(KnownField.ContentLength, "Content-Length"));
        Assert.Equal(["host", "CONTENT-LENGTH", "X-Other", "Expect"], h.Select(f => f.Key));
        Assert.Same("Expect", h.First(f => f.Value == "100-continue").Key); // the usual spelling: no new string
    }

    [Fact]
    public void ARepeatInAnotherCase_IsSeen()
    {
        HttpHeaders h = Parse("GET / HTTP/1.1\r\nHost: a\r\nAccept: x\r\nhOST: b\r\n\r\n");
        Assert.True(h.MayRepeat(KnownField.Host));
        Assert.False(h.MayRepeat(KnownField.Connection));
    }

    [Fact]
    public void AFieldAddedByCode_MakesEveryLookupScan()
    {
        HttpHeaders h = Parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        h.Add("connection", "close");
        Assert.True(h.MayHave(KnownField.Connection));
        Assert.True(h.MayRepeat(KnownField.Host));
        Assert.Equal("close", h.Known(KnownField.Connection, "Connection"));

        var built = new HttpHeaders();
        Assert.True(built.MayHave(KnownField.TransferEncoding)); // nothing recorded: scan
        Assert.Null(built.Known(KnownField.TransferEncoding, "Transfer-Encoding"));
    }

    [Fact]
    public void ConnectionAndFramingFields_InAnyCase_AreHonouredByTheServer() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var server = new HttpServer(NetHub.Loopback0, async (req, resp) => await resp.WriteAsync(await req.ReadBodyAsync()));
        server.Start();
        await using (server)
        {
            using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
            await client.SendAsync("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello");
            RawResponse first = await client.ReadResponseAsync();
            Assert.Equal((200, "hello"), (first.Status, first.Body));
            await client.SendAsync("POST / HTTP/1.1\r\nHOST: x\r\nTRANSFER-ENCODING: chunked\r\nCONNECTION: Close\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
            RawResponse second = await client.ReadResponseAsync();
            Assert.Equal((200, "hi", "close"), (second.Status, second.Body, second.Header("Connection")));
            Assert.True(await client.ClosedOrResetByServerAsync());
        }
    });

    private static HttpHeaders Parse(string head)
    {
        Assert.True(HttpRequestParser.TryParse(Encoding.Latin1.GetBytes(head), s_limits, out _, out RequestHead parsed));
        return parsed.Headers;
    }
}
