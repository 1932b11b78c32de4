using Xunit;
using System.Net;
using System.Text;
using GeventSharp.Net;
using GeventSharp.Samples.EchoServer;
using GeventSharp.Samples.PortForwarder;
using GeventSharp.Samples.UdpEcho;

namespace GeventSharp.Tests.Net;

public class SampleTests
{
    [Fact]
    public void EchoServer_EchoesEachClient() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using StreamServer server = EchoServerSample.Create(NetHub.Loopback0);
        server.Start();
        var clients = Enumerable.Range(0, 5).Select(i => Gevent.Spawn(async Task<string> () =>
        {
            using GreenSocket c = await GreenSocket.CreateConnectionAsync("127.0.0.1", server.Address.Port, TimeSpan.FromSeconds(10));
            await c.SendAllAsync(Encoding.ASCII.GetBytes($"message {i}"));
            string back = Encoding.ASCII.GetString(await NetHub.ReceiveExactlyAsync(c, $"message {i}".Length));
            c.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            Assert.Equal(0, await c.ReceiveAsync(new byte[1]));
            return back;
        })).ToList();
        await Gevent.JoinAllAsync(clients, raiseError: true);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"message {i}"), clients.Select(c => (string)c.Value!));
    });

    [Fact]
    public void PortForwarder_ForwardsBothWays() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using StreamServer echo = EchoServerSample.Create(NetHub.Loopback0);
        echo.Start();
        await using StreamServer forwarder = PortForwarderSample.Create(NetHub.Loopback0, echo.Address);
        forwarder.Start();
        using GreenSocket c = await GreenSocket.CreateConnectionAsync("127.0.0.1", forwarder.Address.Port, TimeSpan.FromSeconds(10));
        byte[] big = new byte[200_000];
        new Random(7).NextBytes(big);
        Greenlet send = Gevent.Spawn(async Task () => await c.SendAllAsync(big));
        byte[] back = await NetHub.ReceiveExactlyAsync(c, big.Length);
        await send.GetAsync();
        Assert.True(big.AsSpan().SequenceEqual(back));
        c.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        Assert.Equal(0, await c.ReceiveAsync(new byte[1])); // end of stream travels through both hops
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void UdpEcho_DemoRoundTrips(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        string line = await UdpEchoSample.DemoAsync("hi there");
        Assert.EndsWith(": hi there", line);
        Assert.StartsWith("127.0.0.1:", line);
    });

    public static TheoryData<PollerKind> Pollers => NetHub.Pollers;

    [Fact]
    public void DatagramServer_RepliesToEachSender() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using var server = new DatagramServer(NetHub.Loopback0, (s, data, peer) => s.SendToAsync(data.Reverse().ToArray(), peer).AsTask());
        server.Start();
        var replies = await Gevent.JoinAllAsync(Enumerable.Range(0, 3).Select(i => (Greenlet)Gevent.Spawn(async Task<string> () =>
        {
            using GreenSocket c = GreenSocket.CreateUdp();
            c.Timeout = TimeSpan.FromSeconds(10);
            await c.SendToAsync(Encoding.ASCII.GetBytes($"abc{i}"), server.Address);
            byte[] buffer = new byte[64];
            var r = await c.ReceiveFromAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, r.ReceivedBytes);
        })).ToList(), raiseError: true);
        Assert.Equal(new[] { "0cba", "1cba", "2cba" }, replies.Select(g => (string)g.Value!).Order());
    });
}
