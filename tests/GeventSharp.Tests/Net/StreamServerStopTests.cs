using System.Net.Sockets;
using GeventSharp.Net;
using Xunit;

namespace GeventSharp.Tests.Net;

/// <summary>
/// gevent's stop semantics on the virtual clock: <c>ServeForeverAsync</c> returns once the stop has
/// drained, <c>StopTimeout</c> is the default drain, handlers past it are killed and counted, a
/// second stop can bring the deadline forward, and killing the serving greenlet stops gracefully.
/// </summary>
public class StreamServerStopTests
{
    [Fact]
    public void ServeForever_ReturnsOnlyOnceTheHandlerInFlightHasFinished() => NetHub.RunVirtual(PollerKind.Epoll, async () =>
    {
        bool finished = false;
        (StreamServer server, GreenSocket client) = await StartWithOneHandlerAsync(TimeSpan.FromSeconds(10), async () =>
        {
            await Gevent.Sleep(3);
            finished = true;
        });
        using GreenSocket connection = client;
        Greenlet serving = Gevent.Spawn(() => server.ServeForeverAsync());

        Task stop = server.StopAsync();
        await Assert.ThrowsAnyAsync<SocketException>(async () =>
        {
            using GreenSocket late = GreenSocket.CreateTcp();
            await late.ConnectAsync(server.Address); // the listener closed when StopAsync returned its task
        });
        await serving.JoinAsync();
        Assert.True(finished); // serve_forever waited for the handler: it was not killed
        Assert.True(stop.IsCompleted);
        Assert.Equal(0, server.HandlersKilledAtStop);
    });

    [Fact]
    public void AHandlerPastStopTimeout_IsKilledAndCounted() => NetHub.RunVirtual(PollerKind.Epoll, async () =>
    {
        bool killed = false;
        (StreamServer server, GreenSocket client) = await StartWithOneHandlerAsync(TimeSpan.FromSeconds(1), async () =>
        {
            try
            {
                await Gevent.Sleep(3600);
            }
            catch (GreenletExit)
            {
                killed = true;
                throw;
            }
        });
        using GreenSocket connection = client;

        await server.StopAsync();
        Assert.True(killed);
        Assert.Equal(1, server.HandlersKilledAtStop);
        Assert.Equal(0, await connection.ReceiveAsync(new byte[1])); // its socket was closed
    });

    [Fact]
    public void ASecondStopWithAShorterTimeout_BringsTheDeadlineForward() => NetHub.RunVirtual(PollerKind.Epoll, async () =>
    {
        bool finished = false;
        (StreamServer server, GreenSocket client) = await StartWithOneHandlerAsync(TimeSpan.FromHours(1), async () =>
        {
            await Gevent.Sleep(100);
            finished = true;
        });
        using GreenSocket connection = client;

        Task first = server.StopAsync(); // would wait for the handler's 100 s
        await server.StopAsync(TimeSpan.FromSeconds(1)); // the host's shutdown time is up
        Assert.True(first.IsCompleted);
        Assert.False(finished);
        Assert.Equal(1, server.HandlersKilledAtStop);
    });

    [Fact]
    public void KillingTheServingGreenlet_StopsTheServerGracefully() => NetHub.RunVirtual(PollerKind.Epoll, async () =>
    {
        bool finished = false;
        (StreamServer server, GreenSocket client) = await StartWithOneHandlerAsync(TimeSpan.FromSeconds(10), async () =>
        {
            await Gevent.Sleep(3);
            finished = true;
        });
        using GreenSocket connection = client;
        Greenlet serving = Gevent.Spawn(() => server.ServeForeverAsync());
        await Gevent.Yield(); // serving runs and waits for the stop

        await serving.KillAsync();
        Assert.True(server.Closed);
        Assert.True(finished); // the kill waited for the stop, which let the handler finish
    });

    /// <summary>Starts a server with <paramref name="stopTimeout"/> and one connection whose handler runs <paramref name="body"/>; returns once the handler runs.</summary>
    private static async Task<(StreamServer Server, GreenSocket Client)> StartWithOneHandlerAsync(TimeSpan stopTimeout, Func<Task> body)
    {
        var entered = new Event();
        var server = new StreamServer(NetHub.Loopback0, async (sock, peer) =>
        {
            entered.Set();
            await body();
        }, new StreamServerOptions { StopTimeout = stopTimeout });
        server.Start();
        GreenSocket client = GreenSocket.CreateTcp();
        await client.ConnectAsync(server.Address);
        await entered.WaitAsync();
        return (server, client);
    }
}
