using System.Net.Sockets;
using GeventSharp.Http;
using GeventSharp.Net;
using GeventSharp.Testing;
using GeventSharp.Tests.Net;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace GeventSharp.Tests.Http;

/// <summary>
/// Kestrel's timeouts and minimum data rates (issue 12, item 2), on the wire and on the virtual
/// clock: each slow client is cut by the limit that fits what it is slow at, while a client beside
/// it is served; a client at the rate, or with the limit turned off, is not cut.
/// </summary>
public class HttpTimeoutsAndRatesTests
{
    private const string Head = "POST /echo HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";

    [Fact]
    public void AHeaderTrickler_Gets408_AfterTheRequestHeadersTimeout_WhileAnotherClientIsServed() => Run(async clock =>
    {
        await using HttpServer server = Start(new HttpServerOptions());
        using RawHttpClient trickler = await RawHttpClient.ConnectAsync(server.Address);
        using RawHttpClient other = await RawHttpClient.ConnectAsync(server.Address);
        Greenlet trickle = Gevent.Spawn(() => TrickleAsync(trickler, Head, bytesPerSecond: 1));
        int served = 0;
        for (int i = 0; i < 5; i++)
        {
            await Gevent.Sleep(7); // requests at 7, 14, 21, 28 and 35 s on one keep-alive connection
            await other.SendAsync("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
            served += (await other.ReadResponseAsync()).Body == "hi" ? 1 : 0;
        }

        RawResponse r = await trickler.ReadResponseAsync();
        Assert.Equal(408, r.Status);
        Assert.Contains("did not arrive in time", r.Body, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(36)); // not 60 s (IoTimeout), not 130 s (keep-alive); heartbeat: up to 1 s late
        Assert.True(await trickler.ClosedOrResetByServerAsync());
        Assert.Equal(5, served);
        trickle.Kill();
    });

    [Fact]
    public void AHeadArrivingAtOnce_AfterALongIdle_IsServed_AndAnIdleConnectionIsClosedAfter130Seconds() => Run(async clock =>
    {
        await using HttpServer server = Start(new HttpServerOptions());
        using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
        await Gevent.Sleep(100); // idle: the keep-alive timeout, not the request-headers timeout
        await client.SendAsync("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
        Assert.Equal("hi", (await client.ReadResponseAsync()).Body);
        Assert.True(await client.ClosedByServerAsync());
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(230), TimeSpan.FromSeconds(231));
    });

    [Fact]
    public void TheDateHeader_FollowsTheHubsClock_ThoughItIsReadOncePerHeartbeat() => Run(async clock =>
    {
        await using HttpServer server = Start(new HttpServerOptions());
        using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
        var dates = new List<DateTimeOffset>();
        for (int i = 0; i < 3; i++)
        {
            await client.SendAsync("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
            RawResponse r = await client.ReadResponseAsync();
            dates.Add(DateTimeOffset.Parse(r.Header("Date")!, System.Globalization.CultureInfo.InvariantCulture));
            await Gevent.Sleep(10);
        }

        // The second and third responses came 10 s of the hub's clock after the one before: their
        // dates say so (at most a second behind, as the line is kept from one heartbeat to the next).
        Assert.InRange(dates[1] - dates[0], TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(11));
        Assert.InRange(dates[2] - dates[1], TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(11));
        Assert.InRange(clock.GetUtcNow() - dates[2], TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(12));
    });

    [Fact]
    public void ABodyBelowTheMinimumRate_Gets408_AfterTheGracePeriod_WhileAnotherClientIsServed() => Run(async clock =>
    {
        await using HttpServer server = Start(new HttpServerOptions());
        using RawHttpClient slow = await RawHttpClient.ConnectAsync(server.Address);
        using RawHttpClient other = await RawHttpClient.ConnectAsync(server.Address);
        await slow.SendAsync("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n");
        Greenlet trickle = Gevent.Spawn(() => TrickleAsync(slow, new string('b', 10_000), bytesPerSecond: 100));
        await other.SendAsync("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
        Assert.Equal("hi", (await other.ReadResponseAsync()).Body);

        RawResponse r = await slow.ReadResponseAsync();
        Assert.Equal(408, r.Status);
        Assert.Contains("minimum data rate", r.Body, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(7)); // 100 B/s < 240 B/s: cut once the 5 s grace is over
        trickle.Kill();
    });

    [Theory]
    [InlineData(250)] // just above the rate
    [InlineData(1000)]
    public void ABodyAtOrAboveTheMinimumRate_IsReadToTheEnd(int bytesPerSecond) => Run(async clock =>
    {
        await using HttpServer server = Start(new HttpServerOptions());
        using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
        int length = bytesPerSecond * 20; // 20 s of body
        await client.SendAsync($"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n");
        Greenlet trickle = Gevent.Spawn(() => TrickleAsync(client, new string('b', length), bytesPerSecond));
        RawResponse r = await client.ReadResponseAsync();
        Assert.Equal(200, r.Status);
        Assert.Equal(length, r.Body.Length);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(19));
        await trickle.JoinAsync();
    });

    [Fact]
    public void AHandlerThatPausesBetweenReads_IsNotHeldToTheRateForItsOwnTime() => Run(async clock =>
    {
        await using HttpServer server = Start(
            async (request, response) =>
            {
                byte[] buffer = new byte[10];
                int n = await request.Body.ReadAsync(buffer, Greenlet.Current!.CancellationToken);
                await Gevent.Sleep(60); // the handler's own work: not the client's slowness
                while (await request.Body.ReadAsync(buffer.AsMemory(n), Greenlet.Current!.CancellationToken) is > 0 and var more)
                {
                    n += more;
                }

                await response.WriteAsync(buffer.AsMemory(0, n));
            },
            new HttpServerOptions());
        using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
        await client.SendAsync("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234");
        await Gevent.Sleep(63); // the handler waits from 60 s to 63 s: 3 s of its 5 s grace, whatever came before
        await client.SendAsync("56789");
        Assert.Equal("0123456789", (await client.ReadResponseAsync()).Body);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(63));
    });

    [Fact]
    public void AClientThatDoesNotReadTheResponse_IsCut_ByTheMinimumResponseRate() => Run(async clock =>
    {
        var handlerEnded = new AsyncResult<string>();
        await using HttpServer server = Start(BigOrEcho(handlerEnded), new HttpServerOptions { IoTimeout = null });
        using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
        using RawHttpClient other = await RawHttpClient.ConnectAsync(server.Address);
        await client.SendAsync("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
        await other.SendAsync("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
        Assert.Equal("hi", (await other.ReadResponseAsync()).Body);
        Assert.Equal(nameof(ClientTooSlowException), await handlerEnded.GetAsync()); // the write that waited was cut
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(17)); // 2,400 bytes at 240 B/s after 5 s of grace
        await other.SendAsync("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
        Assert.Equal("hi", (await other.ReadResponseAsync()).Body); // served on
    });

    [Fact]
    public void WithTheLimitsTurnedOff_SlowClientsAreNotCut() => Run(async clock =>
    {
        var handlerEnded = new AsyncResult<string>();
        var options = new HttpServerOptions { RequestHeadersTimeout = null, MinRequestBodyDataRate = null, MinResponseDataRate = null, IoTimeout = null };
        await using HttpServer server = Start(BigOrEcho(handlerEnded), options);

        using RawHttpClient headTrickler = await RawHttpClient.ConnectAsync(server.Address);
        Greenlet trickle = Gevent.Spawn(() => TrickleAsync(headTrickler, Head, bytesPerSecond: 2));
        Assert.Equal(200, (await headTrickler.ReadResponseAsync()).Status); // ~50 s for its head
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(45));
        await trickle.JoinAsync();

        using RawHttpClient bodyTrickler = await RawHttpClient.ConnectAsync(server.Address);
        await bodyTrickler.SendAsync("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n");
        trickle = Gevent.Spawn(() => TrickleAsync(bodyTrickler, new string('b', 100), bytesPerSecond: 5));
        Assert.Equal(100, (await bodyTrickler.ReadResponseAsync()).Body.Length); // 20 s at 5 B/s
        await trickle.JoinAsync();

        using RawHttpClient nonReader = await RawHttpClient.ConnectAsync(server.Address);
        await nonReader.SendAsync("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
        await Gevent.Sleep(200);
        Assert.False(handlerEnded.Ready); // still waiting to write after 200 s
    });

    [Fact]
    public void TheLimitsHaveKestrelsDefaults_AreValidated_AndBindFromConfiguration()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpServer(NetHub.Loopback0, Echo, new HttpServerOptions { MinRequestBodyDataRate = new MinDataRate { BytesPerSecond = 0 } }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpServer(NetHub.Loopback0, Echo, new HttpServerOptions { MinResponseDataRate = new MinDataRate { GracePeriod = TimeSpan.FromSeconds(-1) } }));
        var options = new HttpServerOptions { MinResponseDataRate = new MinDataRate { BytesPerSecond = -1 } };
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpServer(NetHub.Loopback0, Echo, options));
        var defaults = new HttpServerOptions();
        Assert.Equal((240.0, TimeSpan.FromSeconds(5)), (defaults.MinRequestBodyDataRate!.BytesPerSecond, defaults.MinRequestBodyDataRate.GracePeriod));
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(130)), (defaults.RequestHeadersTimeout, defaults.KeepAliveTimeout));
        Assert.Equal("240 B/s after 00:00:05", defaults.MinResponseDataRate!.ToString());

        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(
        [
            new("Http:RequestHeadersTimeout", "00:00:10"),
            new("Http:MinRequestBodyDataRate:BytesPerSecond", "1000"),
            new("Http:MinResponseDataRate:GracePeriod", "00:00:02"),
        ]).Build();
        var bound = new HttpServerOptions();
        configuration.GetSection("Http").Bind(bound);
        Assert.Equal(TimeSpan.FromSeconds(10), bound.RequestHeadersTimeout);
        Assert.Equal((1000.0, TimeSpan.FromSeconds(5)), (bound.MinRequestBodyDataRate!.BytesPerSecond, bound.MinRequestBodyDataRate.GracePeriod));
        Assert.Equal((240.0, TimeSpan.FromSeconds(2)), (bound.MinResponseDataRate!.BytesPerSecond, bound.MinResponseDataRate.GracePeriod));
    }

    /// <summary>A handler that echoes a body, and answers <c>/big</c> with an endless response (the end of its writing goes to <paramref name="ended"/>).</summary>
    private static Func<HttpRequest, HttpResponse, Task> BigOrEcho(AsyncResult<string> ended) => async (request, response) =>
    {
        if (request.Path != "/big")
        {
            await Echo(request, response);
            return;
        }

        byte[] piece = new byte[2400];
        try
        {
            while (true)
            {
                await response.WriteAsync(piece); // the socket buffers fill, then a write waits
            }
        }
        catch (Exception e)
        {
            ended.Set(e.GetType().Name);
            throw;
        }
    };

    /// <summary>Sends <paramref name="text"/> at <paramref name="bytesPerSecond"/>, a second's worth at the start of each second; stops when the server closes.</summary>
    private static async Task TrickleAsync(RawHttpClient client, string text, int bytesPerSecond)
    {
        try
        {
            for (int at = 0; at < text.Length; at += bytesPerSecond)
            {
                await client.SendAsync(text.Substring(at, Math.Min(bytesPerSecond, text.Length - at)));
                await Gevent.Sleep(1);
            }
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            // cut by the server
        }
    }

    private static async Task Echo(HttpRequest request, HttpResponse response) => await response.WriteAsync(await request.ReadBodyAsync());

    private static HttpServer Start(HttpServerOptions options) => Start(Echo, options);

    private static HttpServer Start(Func<HttpRequest, HttpResponse, Task> handler, HttpServerOptions options)
    {
        var server = new HttpServer(NetHub.Loopback0, handler, options);
        server.Start();
        return server;
    }

    /// <summary>Runs <paramref name="main"/> on a hub with a virtual clock; no failure may reach the hub (a cut is not one).</summary>
    private static void Run(Func<VirtualClock, Task> main)
        => NetHub.RunVirtual(PollerKind.Epoll, () => main((VirtualClock)Hub.Current!.TimeProvider));
}
