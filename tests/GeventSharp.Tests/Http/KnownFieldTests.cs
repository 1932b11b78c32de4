using System.Text;
using GeventSharp.Http;
using GeventSharp.Net;
using GeventSharp.Tests.Net;
using Xunit;

namespace GeventSharp.Tests.Http;

/// <summary>
/// The parser's record of the known names a head carries (<see cref="KnownFields"/>), which lets
/// the server skip its lookups of framing, Host and Connection fields a head does not have: a name is
/// known in any case, a repeat in any case is seen, and where nothing was recorded every lookup scans.
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
        RequestHead head = Parse("GET / HTTP/1.1\r\nhost: a\r\nCONTENT-LENGTH: 0\r\nX-Other: y\r\nExpect: 100-continue\r\n\r\n");
        KnownFields k = head.Known;
        Assert.True(k.MayHave(KnownField.Host));
        Assert.True(k.MayHave(KnownField.ContentLength));
        Assert.True(k.MayHave(KnownField.Expect));
        Assert.False(k.MayHave(KnownField.Connection));
        Assert.False(k.MayHave(KnownField.TransferEncoding));
        Assert.False(k.MayRepeat(KnownField.Host));
        Assert.Null(k.Get(head.Headers, KnownField.Connection, "Connection"));
        Assert.Equal("0", k.Get(head.Headers, KnownField.ContentLength, "Content-Length"));
        Assert.Equal(["host", "CONTENT-LENGTH", "X-Other", "Expect"], head.Headers.Select(f => f.Key));
        Assert.Same("Expect", head.Headers.First(f => f.Value == "100-continue").Key); // the usual spelling: no new string
    }

    [Fact]
    public void ARepeatInAnotherCase_IsSeen_AndAHeadWithoutFieldsHasNone()
    {
        KnownFields k = Parse("GET / HTTP/1.1\r\nHost: a\r\nAccept: x\r\nhOST: b\r\n\r\n").Known;
        Assert.True(k.MayRepeat(KnownField.Host));
        Assert.False(k.MayRepeat(KnownField.Connection));
        Assert.False(Parse("GET / HTTP/1.0\r\n\r\n").Known.MayHave(KnownField.Host));
    }

    [Fact]
    public void NothingRecorded_MeansEveryLookupScans()
    {
        KnownFields unknown = default;
        var headers = new HttpHeaders { { "connection", "close" } };
        Assert.True(unknown.MayHave(KnownField.TransferEncoding));
        Assert.True(unknown.MayRepeat(KnownField.Host));
        Assert.Equal("close", unknown.Get(headers, KnownField.Connection, "Connection"));
        Assert.Null(unknown.Get(headers, KnownField.Expect, "Expect"));
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

    private static RequestHead Parse(string head)
    {
        Assert.True(HttpRequestParser.TryParse(Encoding.Latin1.GetBytes(head), s_limits, out _, out RequestHead parsed));
        return parsed;
    }
}
