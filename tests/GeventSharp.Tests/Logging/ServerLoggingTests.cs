using System.Net.Sockets;
using GeventSharp.Http;
using GeventSharp.Net;
using GeventSharp.Tests.Http;
using GeventSharp.Tests.Net;
using Microsoft.Extensions.Logging;
using Xunit;

namespace GeventSharp.Tests.Logging;

/// <summary>The servers log through their hub's logger factory: accept errors, kills at stop, rejected requests and the access log.</summary>
public class ServerLoggingTests
{
    [Fact]
    public void AcceptErrors_AreLoggedAsWarnings_WithTheSocketError()
    {
        CapturingLoggerProvider capture = CapturingLoggerProvider.RunHub(async _ =>
        {
            await using var server = new StreamServer(NetHub.Loopback0, (sock, peer) => Task.CompletedTask);
            int failures = 2;
            server.AcceptOne = listener => failures-- > 0
                ? ValueTask.FromException<GreenSocket>(new SocketException((int)SocketError.TooManyOpenSockets))
                : listener.AcceptAsync();
            server.Start();
            using GreenSocket c = GreenSocket.CreateTcp();
            await c.ConnectAsync(server.Address);
            while (server.AcceptErrors < 2 || failures >= 0)
            {
                await Gevent.Sleep(0.01); // until the accept loop is past its failures and has accepted
            }
        }, poller: PollerKind.Epoll);

        IReadOnlyList<LogEntry> accepts = capture.WithEvent(101);
        Assert.Equal(2, accepts.Count);
        Assert.All(accepts, e => Assert.Equal("GeventSharp.Net.StreamServer", e.Category));
        Assert.All(accepts, e => Assert.Equal(LogLevel.Warning, e.Level));
        Assert.All(accepts, e => Assert.Equal(SocketError.TooManyOpenSockets, e["SocketError"]));
        Assert.Equal([10.0, 20.0], accepts.Select(e => e["RetryMilliseconds"])); // the back-off doubles
        Assert.IsType<SocketException>(accepts[0].Exception);
    }

    [Fact]
    public void HandlersKilledAtStop_AreLoggedAsAWarning_InsteadOfStandardError()
    {
        CapturingLoggerProvider capture = CapturingLoggerProvider.RunHub(async _ =>
        {
            var running = new Event();
            var server = new StreamServer(NetHub.Loopback0, async (sock, peer) =>
            {
                running.Set();
                await Gevent.Sleep(3600);
            });
            server.Start();
            using GreenSocket c = GreenSocket.CreateTcp();
            await c.ConnectAsync(server.Address);
            await running.WaitAsync();
            await server.StopAsync(TimeSpan.Zero);
            Assert.Equal(1, server.HandlersKilledAtStop);
        }, poller: PollerKind.Epoll);

        LogEntry entry = Assert.Single(capture.WithEvent(102));
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal(1, entry["Count"]);
        Assert.Equal(0.0, entry["StopTimeoutSeconds"]);
        Assert.Contains("1 handler(s) still running 0 s after the stop began were killed", entry.Message); // the sentence standard error got
    }

    [Fact]
    public void EveryResponse_GetsOneAccessLogEntry_WithItsFields()
    {
        byte[] big = new byte[40_000]; // more than the response buffer: sent chunked
        CapturingLoggerProvider capture = RunHttp(null, async (request, response) =>
        {
            await response.WriteAsync(request.Path == "/big" ? big : "hello"u8.ToArray());
        }, async client =>
        {
            await client.SendAsync("GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
            await client.SendAsync("HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(200, (await client.ReadResponseAsync(head: true)).Status);
            await client.SendAsync("GET /big HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            Assert.Equal(big.Length, (await client.ReadResponseAsync()).Body.Length);
        });

        IReadOnlyList<LogEntry> access = capture.WithEvent(202);
        Assert.Equal(3, access.Count);
        LogEntry first = access[0];
        Assert.Equal("GeventSharp.Http.AccessLog", first.Category);
        Assert.Equal(LogLevel.Information, first.Level);
        Assert.Equal("RequestCompleted", first.EventId.Name);
        Assert.Equal("127.0.0.1", first["ClientAddress"]);
        Assert.Equal("GET", first["Method"]);
        Assert.Equal("/a?b=1", first["Target"]);
        Assert.Equal("HTTP/1.1", first["Protocol"]);
        Assert.Equal(200, first["StatusCode"]);
        Assert.Equal(5L, first["ResponseBytes"]);
        Assert.IsType<double>(first["DurationMilliseconds"]);
        Assert.StartsWith("127.0.0.1 \"GET /a?b=1 HTTP/1.1\" 200 5 ", first.Message);
        Assert.Equal(("HEAD", 0L), ((string)access[1]["Method"]!, (long)access[1]["ResponseBytes"]!)); // a HEAD response has no body
        Assert.Equal(("HTTP/1.0", (long)big.Length), ((string)access[2]["Protocol"]!, (long)access[2]["ResponseBytes"]!));
    }

    [Fact]
    public void ARejectedRequest_IsLoggedWithItsReason_AndInTheAccessLog()
    {
        CapturingLoggerProvider capture = RunHttp(null, (request, response) => Task.CompletedTask, async client =>
        {
            await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n");
            Assert.Equal(400, (await client.ReadResponseAsync()).Status);
        });

        LogEntry rejected = Assert.Single(capture.WithEvent(201));
        Assert.Equal("GeventSharp.Http.HttpServer", rejected.Category);
        Assert.Equal(LogLevel.Debug, rejected.Level);
        Assert.Equal(400, rejected["StatusCode"]);
        Assert.Equal("HeaderLineWithoutColon", rejected["Reason"]);
        Assert.Equal("Malformed request: a header line without a name and a colon.", rejected["Sentence"]);
        Assert.Equal("127.0.0.1", rejected["ClientAddress"]);

        LogEntry access = Assert.Single(capture.WithEvent(202));
        Assert.Equal(400, access["StatusCode"]);
        Assert.Equal("-", access["Method"]); // the head could not be read
        Assert.True((long)access["ResponseBytes"]! > 0);
    }

    [Fact]
    public void ABodyTooLargeForTheHandler_IsLoggedAsARejection_WithTheRequestInTheAccessLog()
    {
        CapturingLoggerProvider capture = RunHttp(new HttpServerOptions { MaxRequestBodySize = 4 }, async (request, response) => await request.ReadBodyAsync(), async client =>
        {
            await client.SendAsync("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n");
            Assert.Equal(413, (await client.ReadResponseAsync()).Status);
        });

        Assert.Equal("ChunkedBodyTooLarge", Assert.Single(capture.WithEvent(201))["Reason"]);
        LogEntry access = Assert.Single(capture.WithEvent(202));
        Assert.Equal((413, "POST", "/upload"), ((int)access["StatusCode"]!, (string)access["Method"]!, (string)access["Target"]!));
    }

    [Fact]
    public void AHandlerThatFails_IsLoggedByTheHub_AndAs500InTheAccessLog()
    {
        CapturingLoggerProvider capture = RunHttp(null, (request, response) => throw new InvalidOperationException("handler bug"), async client =>
        {
            await client.SendAsync("GET /fail HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(500, (await client.ReadResponseAsync()).Status);
        });

        Assert.Equal("handler bug", Assert.Single(capture.WithEvent(1)).Exception!.Message);
        Assert.Equal(500, Assert.Single(capture.WithEvent(202))["StatusCode"]);
    }

    [Fact]
    public void TheAccessLog_CanBeTurnedOff_RejectionsAreStillLogged()
    {
        CapturingLoggerProvider capture = RunHttp(new HttpServerOptions { AccessLog = false }, (request, response) => response.WriteAsync("ok").AsTask(), async client =>
        {
            await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
            await client.SendAsync("GET / HTTP/9.9\r\nHost: x\r\n\r\n");
            Assert.Equal(505, (await client.ReadResponseAsync()).Status);
        });

        Assert.Empty(capture.WithEvent(202));
        Assert.Equal("VersionNotSupported", Assert.Single(capture.WithEvent(201))["Reason"]);
    }

    /// <summary>Serves <paramref name="handler"/> on a logging hub, runs <paramref name="client"/>, then stops the server (so every entry is in); the entries.</summary>
    private static CapturingLoggerProvider RunHttp(HttpServerOptions? options, Func<HttpRequest, HttpResponse, Task> handler, Func<RawHttpClient, Task> client)
        => CapturingLoggerProvider.RunHub(
            async _ =>
            {
                var server = new HttpServer(NetHub.Loopback0, handler, options);
                server.Start();
                using (RawHttpClient c = await RawHttpClient.ConnectAsync(server.Address))
                {
                    await client(c);
                }

                await server.StopAsync();
            },
            poller: PollerKind.Epoll);
}
