using Xunit;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GeventSharp.Net;

namespace GeventSharp.Tests.Net;

/// <summary>
/// What an idle connection no longer holds (issue 12): no async wrapper per handler (the server
/// closes the socket from the handler greenlet's link), and on epoll no .NET <see cref="Socket"/>
/// and no addresses until they are asked for.
/// </summary>
public class IdleConnectionTests
{
    public static TheoryData<PollerKind> Pollers => NetHub.Pollers;

    private static async Task<GreenSocket> ConnectAsync(IPEndPoint server)
        => await GreenSocket.CreateConnectionAsync(server.Address.ToString(), server.Port, TimeSpan.FromSeconds(10));

    /// <summary>Reads until the server closes: the bytes it sent first.</summary>
    private static async Task<string> ReadToEndAsync(GreenSocket c)
    {
        var got = new MemoryStream();
        byte[] buffer = new byte[256];
        int n;
        while ((n = await c.ReceiveAsync(buffer)) > 0)
        {
            got.Write(buffer, 0, n);
        }

        return Encoding.ASCII.GetString(got.ToArray());
    }

    [Theory]
    [MemberData(nameof(Pollers))]
    public void HandlerThatReturns_HasItsSocketClosed(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        GreenSocket? served = null;
        await using var server = new StreamServer(NetHub.Loopback0, async sock =>
        {
            served = sock;
            await sock.SendAllAsync("bye"u8.ToArray());
        });
        server.Start();
        using GreenSocket c = await ConnectAsync(server.Address);
        Assert.Equal("bye", await ReadToEndAsync(c)); // the end of the stream: the server closed it
        Assert.True(served!.Closed);
        Assert.Equal(0, server.ConnectionCount);
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void HandlerGreenlet_IsNamed_AndDescribedByTheUsersHandler(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        string? name = null, description = null;
        await using var server = new StreamServer(NetHub.Loopback0, ServeAsync);
        server.Start();
        using GreenSocket c = await ConnectAsync(server.Address);
        Assert.Equal("bye", await ReadToEndAsync(c));
        Assert.Equal("StreamServer.handler", name);
        Assert.EndsWith(".ServeAsync", description); // the user's handler (a local function here), not a wrapper of the server's

        async Task ServeAsync(GreenSocket sock)
        {
            name = Greenlet.Current!.Name;
            description = Greenlet.Current!.FunctionDescription;
            await sock.SendAllAsync("bye"u8.ToArray());
        }
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void HandlerThatThrows_HasItsSocketClosed_AndIsReported(PollerKind poller)
    {
        var reported = new List<Exception>();
        NetHub.Run(
            poller,
            async () =>
            {
                GreenSocket? served = null;
                await using var server = new StreamServer(NetHub.Loopback0, async (sock, peer) =>
                {
                    served = sock;
                    await sock.SendAllAsync("oops"u8.ToArray());
                    throw new InvalidOperationException("handler failed");
                });
                server.Start();
                using GreenSocket c = await ConnectAsync(server.Address);
                Assert.Equal("oops", await ReadToEndAsync(c));
                Assert.True(served!.Closed);
            },
            onError: (g, e) => reported.Add(e));
        Assert.Contains(reported, e => e is InvalidOperationException { Message: "handler failed" });
    }

    [Theory]
    [MemberData(nameof(Pollers))]
    public void HandlerThatThrowsBeforeItsFirstAwait_HasItsSocketClosed(PollerKind poller)
    {
        var reported = new List<Exception>();
        NetHub.Run(
            poller,
            async () =>
            {
                await using var server = new StreamServer(NetHub.Loopback0, sock => throw new InvalidOperationException("at once"));
                server.Start();
                using GreenSocket c = await ConnectAsync(server.Address);
                Assert.Equal("", await ReadToEndAsync(c));
            },
            onError: (g, e) => reported.Add(e));
        Assert.Contains(reported, e => e is InvalidOperationException { Message: "at once" });
    }

    [Theory]
    [MemberData(nameof(Pollers))]
    public void HandlerKilledAtStop_HasItsSocketClosed(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var waiting = new Event();
        GreenSocket? served = null;
        var server = new StreamServer(NetHub.Loopback0, async sock =>
        {
            served = sock;
            waiting.Set();
            await Gevent.Sleep(TimeSpan.FromHours(1));
        });
        server.Start();
        using GreenSocket c = await ConnectAsync(server.Address);
        await waiting.WaitAsync();
        await server.StopAsync(TimeSpan.Zero);
        Assert.Equal(1, server.HandlersKilledAtStop);
        Assert.Equal("", await ReadToEndAsync(c));
        Assert.True(served!.Closed);
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void AcceptedSocket_GivesItsAddresses_WhenAsked(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        using GreenSocket listener = GreenSocket.Listen(NetHub.Loopback0);
        using GreenSocket c = await ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        using GreenSocket accepted = await listener.AcceptAsync();
        Assert.Equal(poller == PollerKind.Epoll, accepted.HoldsNoDotNetSocket);
        Assert.Equal(c.LocalEndPoint, accepted.RemoteEndPoint);
        Assert.Equal(c.RemoteEndPoint, accepted.LocalEndPoint);
        Assert.Equal(AddressFamily.InterNetwork, accepted.AddressFamily);
        Assert.True(accepted.NoDelay);
        accepted.NoDelay = false;
        Assert.False(accepted.NoDelay);
        Assert.Contains("tcp", accepted.ToString());
        Assert.Equal(poller == PollerKind.Epoll, accepted.HoldsNoDotNetSocket); // none of these needed .NET's socket
    });

    [Fact]
    public void AcceptedSocket_OnIPv6_GivesThePeerAccept4Wrote() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        using GreenSocket listener = GreenSocket.Listen(NetHub.Loopback6_0);
        using GreenSocket c = await ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        using GreenSocket accepted = await listener.AcceptAsync();
        Assert.Equal(AddressFamily.InterNetworkV6, accepted.AddressFamily);
        Assert.Equal(c.LocalEndPoint, accepted.RemoteEndPoint);
    });

    [Fact]
    public void AcceptedSocket_KnowsItsPeer_AfterThePeerHasGone() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        using GreenSocket listener = GreenSocket.Listen(NetHub.Loopback0);
        GreenSocket c = await ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        EndPoint client = c.LocalEndPoint!;
        using GreenSocket accepted = await listener.AcceptAsync();
        c.Socket.LingerState = new LingerOption(true, 0);
        c.Close(); // a reset: getpeername would now fail, but accept4 gave the address
        Assert.Equal(0, await accepted.ReceiveAsync(new byte[1]).AsTask().ContinueWith(t => t.IsFaulted ? 0 : t.Result, TaskScheduler.Default));
        Assert.Equal(client, accepted.RemoteEndPoint);
    });

    [Fact]
    public void AcceptedSocket_MakesItsDotNetSocket_WhenAsked_AndStillWorks() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        using GreenSocket listener = GreenSocket.Listen(NetHub.Loopback0);
        using GreenSocket c = await ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        GreenSocket accepted = await listener.AcceptAsync();
        Assert.True(accepted.HoldsNoDotNetSocket);
        Socket socket = accepted.Socket;
        Assert.False(accepted.HoldsNoDotNetSocket);
        Assert.Same(socket, accepted.Socket);
        Assert.Equal(c.LocalEndPoint, socket.RemoteEndPoint);
        socket.ReceiveBufferSize = 64 * 1024; // an option through .NET's socket
        await c.SendAllAsync("ping"u8.ToArray());
        Assert.Equal("ping", Encoding.ASCII.GetString(await NetHub.ReceiveExactlyAsync(accepted, 4)));
        await accepted.SendAllAsync("pong"u8.ToArray());
        Assert.Equal("pong", Encoding.ASCII.GetString(await NetHub.ReceiveExactlyAsync(c, 4)));
        accepted.Close(); // closes the descriptor .NET's socket took over
        Assert.Equal("", await ReadToEndAsync(c));
        Assert.Throws<ObjectDisposedException>(() => socket.Available);
    });

    [Fact]
    public void AcceptedSocket_ClosedWithoutItsDotNetSocket_ClosesTheDescriptor_AndRefusesToMakeOne() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        using GreenSocket listener = GreenSocket.Listen(NetHub.Loopback0);
        using GreenSocket c = await ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        GreenSocket accepted = await listener.AcceptAsync();
        accepted.Shutdown(SocketShutdown.Send);
        Assert.Equal("", await ReadToEndAsync(c)); // the shutdown, without .NET's socket
        accepted.Close();
        Assert.Null(accepted.RemoteEndPoint);
        Assert.Throws<ObjectDisposedException>(() => accepted.Socket);
    });

    [Fact]
    public void Timeout_RoundTrips() => NetHub.Run(PollerKind.Epoll, () =>
    {
        using GreenSocket s = GreenSocket.CreateTcp();
        Assert.Null(s.Timeout);
        s.Timeout = TimeSpan.FromMilliseconds(1500);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), s.Timeout);
        s.Timeout = TimeSpan.Zero;
        Assert.Equal(TimeSpan.Zero, s.Timeout);
        s.Timeout = null;
        Assert.Null(s.Timeout);
        return Task.CompletedTask;
    });
}
