using Xunit;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GeventSharp.Net;

namespace GeventSharp.Tests.Net;

public class StreamServerTests
{
    public static TheoryData<PollerKind> Pollers => NetHub.Pollers;

    private static async Task EchoAsync(GreenSocket sock, EndPoint peer)
    {
        byte[] buffer = new byte[1024];
        int n;
        while ((n = await sock.ReceiveAsync(buffer)) > 0)
        {
            await sock.SendAllAsync(buffer.AsMemory(0, n));
        }
    }

    private static async Task<string> TalkAsync(IPEndPoint server, string text)
    {
        using GreenSocket c = await GreenSocket.CreateConnectionAsync(server.Address.ToString(), server.Port, TimeSpan.FromSeconds(10));
        await c.SendAllAsync(Encoding.ASCII.GetBytes(text));
        return Encoding.ASCII.GetString(await NetHub.ReceiveExactlyAsync(c, text.Length));
    }

    [Theory]
    [MemberData(nameof(Pollers))]
    public void Start_OnPortZero_ServesEachConnectionInItsOwnGreenlet(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var server = new StreamServer(NetHub.Loopback0, EchoAsync);
        Assert.False(server.Started);
        server.Start();
        Assert.True(server.Started);
        Assert.NotEqual(0, server.Address.Port);
        var clients = Enumerable.Range(0, 20).Select(i => Gevent.Spawn(() => TalkAsync(server.Address, $"hello {i}"))).ToList();
        await Gevent.JoinAllAsync(clients, raiseError: true);
        for (int i = 0; i < clients.Count; i++)
        {
            Assert.Equal($"hello {i}", clients[i].Value);
        }

        await server.StopAsync();
        Assert.True(server.Closed);
        Assert.False(server.Started);
    });

    [Fact]
    public void Start_OnIPv6Loopback_Serves() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using var server = new StreamServer(NetHub.Loopback6_0, EchoAsync);
        server.Start();
        Assert.Equal("six", await TalkAsync(server.Address, "six"));
    });

    [Fact]
    public void Start_OnListeningSocket_UsesIt() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        GreenSocket listener = GreenSocket.Listen(NetHub.Loopback0);
        var server = new StreamServer(listener, EchoAsync);
        server.Start();
        Assert.Equal(listener.LocalEndPoint, server.Address);
        Assert.Equal("x", await TalkAsync(server.Address, "x"));
        await server.StopAsync();
        Assert.True(listener.Closed);
    });

    public static TheoryData<PollerKind, bool> PollersAndCaps => new()
    {
        { PollerKind.Epoll, false }, { PollerKind.Portable, false }, { PollerKind.Epoll, true }, { PollerKind.Portable, true },
    };

    /// <summary>A cap of 2 by <c>MaxConnections</c> or by a <c>Pool(2)</c> (whose members the handlers then are).</summary>
    [Theory]
    [MemberData(nameof(PollersAndCaps))]
    public void MaxConnectionsOrAPool_CapsConcurrentHandlers(PollerKind poller, bool usePool) => NetHub.Run(poller, async () =>
    {
        Pool? pool = usePool ? new Pool(2) : null;
        int running = 0, peak = 0;
        bool handlersWereMembers = true;
        var server = new StreamServer(
            NetHub.Loopback0,
            async (sock, peer) =>
            {
                handlersWereMembers &= pool?.Contains(Greenlet.Current!) ?? true;
                running++;
                peak = Math.Max(peak, running);
                await Gevent.Sleep(0.02);
                await EchoAsync(sock, peer);
                running--;
            },
            usePool ? new StreamServerOptions { Pool = pool } : new StreamServerOptions { MaxConnections = 2 });
        server.Start();
        var clients = Enumerable.Range(0, 6).Select(i => Gevent.Spawn(() => TalkAsync(server.Address, $"c{i}"))).ToList();
        Assert.Equal(["c0", "c1", "c2", "c3", "c4", "c5"], (await Gevent.JoinAllAsync(clients, raiseError: true)).Select(g => ((Greenlet<string>)g).Value).Order());
        Assert.Equal(2, peak);
        Assert.True(handlersWereMembers);
        await server.StopAsync();
        Assert.Empty(pool ?? new Pool());
    });

    [Fact]
    public void Pool_SharedWithOtherWork_CapsThemTogether_AndStopLeavesTheOtherWorkAlone() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var pool = new Pool(2);
        Greenlet other = await pool.SpawnAsync(async Task () => await Gevent.Sleep(3600));
        int running = 0, peak = 0;
        var server = new StreamServer(
            NetHub.Loopback0,
            async (sock, peer) =>
            {
                running++;
                peak = Math.Max(peak, running);
                await Gevent.Sleep(0.01);
                await EchoAsync(sock, peer);
                running--;
            },
            new StreamServerOptions { Pool = pool });
        server.Start();
        var clients = Enumerable.Range(0, 4).Select(i => Gevent.Spawn(() => TalkAsync(server.Address, $"c{i}"))).ToList();
        await Gevent.JoinAllAsync(clients, raiseError: true);
        Assert.Equal(1, peak); // the other member holds one of the two slots
        await server.StopAsync();
        Assert.False(other.Ready);
        Assert.True(pool.Contains(other));
        other.Kill();
    });

    [Fact]
    public void Pool_Full_TheServerStopsAccepting_UntilASlotFrees() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var pool = new Pool(1);
        int accepts = 0;
        var acceptsSeenByHandlers = new List<int>();
        var server = new StreamServer(
            NetHub.Loopback0,
            async (sock, peer) =>
            {
                // The accept loop ran on, up to its next wait, before this handler started: with the
                // pool full it must be waiting for a slot, not already inside another accept.
                acceptsSeenByHandlers.Add(accepts);
                await EchoAsync(sock, peer);
            },
            new StreamServerOptions { Pool = pool });
        server.AcceptOne = listener =>
        {
            accepts++;
            return listener.AcceptAsync();
        };
        server.Start();
        var clients = Enumerable.Range(0, 3).Select(i => Gevent.Spawn(() => TalkAsync(server.Address, $"c{i}"))).ToList();
        await Gevent.JoinAllAsync(clients, raiseError: true);
        Assert.Equal([1, 2, 3], acceptsSeenByHandlers);
        await server.StopAsync();
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void StopAsync_LetsHandlersFinish_ThenKillsTheRest(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        bool quickFinished = false, slowKilled = false;
        var server = new StreamServer(NetHub.Loopback0, async (sock, peer) =>
        {
            byte[] b = new byte[1];
            await sock.ReceiveAsync(b);
            try
            {
                await Gevent.Sleep(b[0] == (byte)'q' ? 0.01 : 3600);
                quickFinished |= b[0] == (byte)'q';
            }
            catch (GreenletExit)
            {
                slowKilled = true;
                throw;
            }
        });
        server.Start();
        using GreenSocket quick = GreenSocket.CreateTcp();
        using GreenSocket slow = GreenSocket.CreateTcp();
        await quick.ConnectAsync(server.Address);
        await slow.ConnectAsync(server.Address);
        await quick.SendAllAsync("q"u8.ToArray());
        await slow.SendAllAsync("s"u8.ToArray());
        while (server.ConnectionCount < 2)
        {
            await Gevent.Sleep(0.001);
        }

        await server.StopAsync(TimeSpan.FromSeconds(0.2));
        Assert.True(quickFinished);
        Assert.True(slowKilled);
        Assert.Equal(0, server.ConnectionCount);
        var refused = await Assert.ThrowsAnyAsync<SocketException>(async () => await TalkAsync(server.Address ?? new IPEndPoint(IPAddress.Loopback, 1), "late"));
        Assert.NotNull(refused);
    });

    [Fact]
    public void ServeForeverAsync_ReturnsWhenStopped() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var server = new StreamServer(NetHub.Loopback0, EchoAsync);
        Greenlet serving = Gevent.Spawn(() => server.ServeForeverAsync());
        await Gevent.Sleep(0.01);
        Assert.True(server.Started);
        await server.StopAsync();
        Assert.True(await serving.JoinAsync(TimeSpan.FromSeconds(5)));
    });

    [Fact]
    public void HandlerFailure_IsReported_AndServerKeepsServing()
    {
        var reported = new List<Exception>();
        NetHub.Run(
            PollerKind.Epoll,
            async () =>
            {
                int calls = 0;
                await using var server = new StreamServer(NetHub.Loopback0, async (sock, peer) =>
                {
                    if (++calls == 1)
                    {
                        throw new InvalidOperationException("handler bug");
                    }

                    await EchoAsync(sock, peer);
                });
                server.Start();
                using (GreenSocket first = GreenSocket.CreateTcp())
                {
                    await first.ConnectAsync(server.Address);
                    Assert.Equal(0, await first.ReceiveAsync(new byte[1])); // closed by the server after the failure
                }

                Assert.Equal("ok", await TalkAsync(server.Address, "ok"));
            },
            onError: (g, e) => reported.Add(e));
        Assert.IsType<InvalidOperationException>(Assert.Single(reported));
    }
}
