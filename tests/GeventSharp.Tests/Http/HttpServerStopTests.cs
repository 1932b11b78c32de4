using GeventSharp.Net;
using GeventSharp.Tests.Net;
using Xunit;

namespace GeventSharp.Tests.Http;

/// <summary>An HttpServer's stop: the response of a request in flight says <c>Connection: close</c>, idle connections close.</summary>
public class HttpServerStopTests
{
    [Fact]
    public void AResponseSentDuringTheDrain_SaysConnectionClose_AndIdleConnectionsClose() => NetHub.RunVirtual(PollerKind.Epoll, async () =>
    {
        var entered = new Event();
        var server = new GeventSharp.Http.HttpServer(NetHub.Loopback0, async (request, response) =>
        {
            if (request.Path == "/slow")
            {
                entered.Set();
                await Gevent.Sleep(2);
            }

            await response.WriteAsync("done");
        }, new GeventSharp.Http.HttpServerOptions { Server = new StreamServerOptions { StopTimeout = TimeSpan.FromSeconds(10) } });
        server.Start();
        using RawHttpClient idle = await RawHttpClient.ConnectAsync(server.Address);
        await idle.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Null((await idle.ReadResponseAsync()).Header("Connection")); // kept alive, now idle
        using RawHttpClient slow = await RawHttpClient.ConnectAsync(server.Address);
        await slow.SendAsync("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        await entered.WaitAsync();

        Task stop = server.StopAsync();
        RawResponse response = await slow.ReadResponseAsync();
        Assert.Equal("done", response.Body);
        Assert.Equal("close", response.Header("Connection"));
        await stop;
        Assert.Equal(0, server.HandlersKilledAtStop);
        Assert.True(await idle.ClosedByServerAsync());
    });

    [Fact]
    public void KillingTheServingGreenlet_LetsTheRequestInFlightFinish() => NetHub.RunVirtual(PollerKind.Epoll, async () =>
    {
        var entered = new Event();
        var server = new GeventSharp.Http.HttpServer(NetHub.Loopback0, async (request, response) =>
        {
            entered.Set();
            await Gevent.Sleep(2);
            await response.WriteAsync("done");
        }, new GeventSharp.Http.HttpServerOptions { Server = new StreamServerOptions { StopTimeout = TimeSpan.FromSeconds(10) } });
        Greenlet serving = Gevent.Spawn(() => server.ServeForeverAsync());
        await Gevent.Yield(); // serving starts the server
        using RawHttpClient slow = await RawHttpClient.ConnectAsync(server.Address);
        await slow.SendAsync("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        await entered.WaitAsync();

        Greenlet killing = Gevent.Spawn(() => serving.KillAsync().AsTask());
        RawResponse response = await slow.ReadResponseAsync();
        Assert.Equal("done", response.Body);
        Assert.Equal("close", response.Header("Connection"));
        await killing.JoinAsync();
        Assert.True(server.Closed);
        Assert.Equal(0, server.HandlersKilledAtStop);
    });
}
