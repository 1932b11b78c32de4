using System.Text;
using GeventSharp.Http;
using GeventSharp.Net;
using GeventSharp.Testing;
using GeventSharp.Tests.Net;
using Xunit;

namespace GeventSharp.Tests.Http;

/// <summary>
/// Requests the server must refuse, on the wire: each gets its 4xx and a sentence at once — on the
/// virtual clock, no time passes before the answer, so a server that waited for more input (the
/// keep-alive timeout's 408) fails — and the connection closes.
/// </summary>
public class HttpRequestValidationTests
{
    /// <summary>A ClientHello's first bytes: a TLS handshake record (0x16), version 3.1, then the hello.</summary>
    private static readonly byte[] s_clientHello =
        [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03, .. Enumerable.Range(0, 64).Select(i => (byte)(i * 37))];

    public static TheoryData<string, byte[], int, string> Refused()
    {
        byte[] random = new byte[16 * 1024];
        new Random(12).NextBytes(random);
        random[0] = (byte)'G'; // a first byte that could start a method: the rest has to be looked at
        string target16K = "/" + new string('a', 16 * 1024);
        var data = new TheoryData<string, byte[], int, string>
        {
            { "bare LF line ends", Latin1("GET / HTTP/1.1\nHost: x\n\n"), 400, "a bare LF in the request head" },
            { "a bare LF ends the head", Latin1("GET / HTTP/1.1\r\nHost: x\r\n\n"), 400, "a bare LF in the request head" },
            { "a bare LF, head unfinished", Latin1("GET / HTTP/1.1\r\nHost: x\nAccept: */*"), 400, "a bare LF in the request head" },
            { "a CR without its LF", Latin1("GET / HTTP/1.1\r\nHost: x\rAccept"), 400, "a CR without its LF" },
            { "TLS on the plain port", s_clientHello, 400, "this is a TLS handshake on a plain HTTP port" },
            { "16 KiB of random bytes", random, 400, "Malformed request" },
            { "a 16 KiB target", Latin1($"GET {target16K} HTTP/1.1\r\nHost: x\r\n\r\n"), 414, "The request line is longer than 8192 bytes." },
            { "a 16 KiB target, line unfinished", Latin1($"GET {target16K}"), 414, "The request line is longer than 8192 bytes." },
            { "a bare LF in a chunk-size line", Latin1("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n"), 400, "chunk-size line" },
            { "a bare LF after a chunk's data", Latin1("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\n\n"), 400, "longer than its declared size" },
            { "whitespace before a trailer's colon", Latin1("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum : 1\r\n\r\n"), 400, "a trailer field that is not a valid header field" },
            { "a trailer without a colon", Latin1("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum\r\n\r\n"), 400, "a trailer field that is not a valid header field" },
            { "HTTP/1.1 without Host", Latin1("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"), 400, "an HTTP/1.1 request without a Host header" },
            { "two Hosts", Latin1("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400, "more than one Host header" },
            { "two Hosts in HTTP/1.0", Latin1("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), 400, "more than one Host header" },
            { "two Hosts, spelled in other cases", Latin1("GET / HTTP/1.1\r\nhost: a\r\nHOST: b\r\n\r\n"), 400, "more than one Host header" },
            { "HTTP/1.1 with a header named like Host only", Latin1("GET / HTTP/1.1\r\nhosts: a\r\n\r\n"), 400, "an HTTP/1.1 request without a Host header" },
            { "both framings, in lower case", Latin1("POST / HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\nhello"), 400, "both Content-Length and Transfer-Encoding" },
            { "an unsupported transfer coding, in upper case", Latin1("POST / HTTP/1.1\r\nHost: x\r\nTRANSFER-ENCODING: gzip\r\n\r\n"), 501, "Transfer-Encoding \"gzip\" is not supported" },
            { "an absolute target with userinfo", Latin1("GET http://user@other/ HTTP/1.1\r\nHost: x\r\n\r\n"), 400, "the request target's authority \"user@other\"" },
            { "an absolute target without a host", Latin1("GET http:///p HTTP/1.1\r\nHost: x\r\n\r\n"), 400, "the request target's authority \"\"" },
        };
        foreach (string host in new[] { "a b", "x/y", "user@x", "[::1", "[::1]x", "x:80a", "[fe80::1%25eth0]", "%zz", ":80", "a,b\u00e9" })
        {
            data.Add($"Host: {host}", Latin1($"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n"), 400, $"the Host header \"{host}\" is not a host[:port]");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void ARequestThatCannotBeServed_IsAnsweredAtOnce_WithItsStatusAndSentence_AndTheConnectionCloses(string what, byte[] request, int status, string says)
    {
        _ = what;
        RunAtOnce(async clock =>
        {
            int handled = 0;
            await using HttpServer server = Start(async (req, resp) =>
            {
                handled++;
                await resp.WriteAsync(await req.ReadBodyAsync());
            });
            using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
            await client.SendAsync(request);
            RawResponse r = await client.ReadResponseAsync();
            Assert.Equal(TimeSpan.Zero, clock.Elapsed); // answered without waiting for any timeout
            Assert.Equal(status, r.Status);
            Assert.Contains(says, r.Body, StringComparison.Ordinal);
            Assert.Equal("close", r.Header("Connection"));
            Assert.True(await client.ClosedOrResetByServerAsync());
            Assert.True(handled <= 1); // only a chunked body's own errors are found while the handler reads it
        });
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", "example.com", "/", "")]
    [InlineData("GET /p HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", "example.com:8080", "/p", "")]
    [InlineData("GET / HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n", "127.0.0.1:80", "/", "")]
    [InlineData("GET / HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n", "[::1]:8000", "/", "")]
    [InlineData("GET / HTTP/1.1\r\nHost: [v1.fe80::a+en1]\r\n\r\n", "[v1.fe80::a+en1]", "/", "")]
    [InlineData("GET / HTTP/1.1\r\nHost: xn--caf-dma.example%2Dx\r\n\r\n", "xn--caf-dma.example%2Dx", "/", "")]
    [InlineData("OPTIONS * HTTP/1.1\r\nHost:\r\n\r\n", "", "*", "")]
    [InlineData("GET / HTTP/1.0\r\n\r\n", null, "/", "")]
    [InlineData("GET http://other:81/a%20b?q=1 HTTP/1.1\r\nHost: localhost\r\n\r\n", "other:81", "/a b", "q=1")]
    [InlineData("GET HTTPS://other HTTP/1.1\r\nHost: localhost\r\n\r\n", "other", "/", "")]
    [InlineData("GET http://other?x HTTP/1.0\r\n\r\n", "other", "/", "x")]
    public void AValidHost_IsServed_AndAnAbsoluteTargetsAuthorityIsTheHost(string request, string? host, string path, string query)
    {
        NetHub.Run(PollerKind.Epoll, async () =>
        {
            await using HttpServer server = Start(async (req, resp) =>
                await resp.WriteAsync($"{req.Host ?? "(none)"}|{req.Headers["Host"] ?? "(none)"}|{req.Path}|{req.QueryString}"));
            using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
            await client.SendAsync(request);
            RawResponse r = await client.ReadResponseAsync();
            Assert.Equal(200, r.Status);
            string[] parts = r.Body.Split('|');
            Assert.Equal(host ?? "(none)", parts[0]);
            Assert.Equal(request.Contains("Host:") ? host : "(none)", parts[1]); // an absolute target's authority replaces the Host header too
            Assert.Equal((path, query), (parts[2], parts[3]));
        });
    }

    [Fact]
    public void ARequestLineOfExactlyTheLimit_IsServed_AndOneByteMoreGets414() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using HttpServer server = Start(async (req, resp) => await resp.WriteAsync(req.Target.Length.ToString()), new HttpServerOptions { MaxRequestLineSize = 100 });
        string target = "/" + new string('t', 100 - "GET  HTTP/1.1".Length - 1);
        using (RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address))
        {
            await client.SendAsync($"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(target.Length.ToString(), (await client.ReadResponseAsync()).Body);
        }

        using RawHttpClient over = await RawHttpClient.ConnectAsync(server.Address);
        await over.SendAsync($"GET {target}t HTTP/1.1\r\nHost: x\r\n\r\n");
        RawResponse r = await over.ReadResponseAsync();
        Assert.Equal(414, r.Status);
        Assert.Contains("longer than 100 bytes", r.Body, StringComparison.Ordinal);
    });

    [Fact]
    public void AHeadArrivingByteByByte_IsServed_AndGarbageByteByByteIsRefusedAtItsFirstWrongByte() => RunAtOnce(async clock =>
    {
        await using HttpServer server = Start(async (req, resp) => await resp.WriteAsync("ok " + req.Host));
        using (RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address))
        {
            foreach (char c in "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
            {
                await client.SendAsync(c.ToString());
                await Gevent.Sleep(0); // a yield: the server may read the bytes so far
            }

            Assert.Equal("ok h", (await client.ReadResponseAsync()).Body);
        }

        using RawHttpClient bad = await RawHttpClient.ConnectAsync(server.Address);
        await bad.SendAsync("GET / HTTP/1.1\r\nHost: h\n"); // and nothing more: no CRLFCRLF will come
        RawResponse r = await bad.ReadResponseAsync();
        Assert.Equal(TimeSpan.Zero, clock.Elapsed);
        Assert.Equal(400, r.Status);
        Assert.Contains("bare LF", r.Body, StringComparison.Ordinal);
    });

    [Fact]
    public void Options_RefuseATooShortRequestLineLimit()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new HttpServer(NetHub.Loopback0, (_, _) => Task.CompletedTask, new HttpServerOptions { MaxRequestLineSize = 10 }));
        Assert.Equal(nameof(HttpServerOptions.MaxRequestLineSize), e.ParamName);
        Assert.Equal(8192, new HttpServerOptions().MaxRequestLineSize);
    }

    private static HttpServer Start(Func<HttpRequest, HttpResponse, Task> handler, HttpServerOptions? options = null)
    {
        var server = new HttpServer(NetHub.Loopback0, handler, options);
        server.Start();
        return server;
    }

    /// <summary>Runs <paramref name="main"/> on the virtual clock, failing on any error the hub reports.</summary>
    private static void RunAtOnce(Func<VirtualClock, Task> main)
    {
        var clock = new VirtualClock();
        var errors = new List<Exception>();
        Gevent.Run(() => main(clock), new HubOptions { Poller = PollerKind.Epoll, TimeProvider = clock, ErrorHandler = (g, e) => errors.Add(e), MonitorThreshold = null });
        Assert.Empty(errors);
    }

    private static byte[] Latin1(string s) => Encoding.Latin1.GetBytes(s);
}
