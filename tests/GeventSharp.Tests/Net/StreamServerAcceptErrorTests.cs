using Xunit;
using System.Net.Sockets;
using GeventSharp.Net;

namespace GeventSharp.Tests.Net;

public class StreamServerAcceptErrorTests
{
    // Lowering RLIMIT_NOFILE in the test host to provoke a real EMFILE crashed the host now and
    // then (the runtime needs descriptors too, e.g. for W^X code mappings), so the failure is injected.
    [Fact]
    public void AcceptErrors_LikeEMFILE_BackOff_AndNeverStopTheServer() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using var server = new StreamServer(NetHub.Loopback0, async (sock, peer) =>
        {
            byte[] b = new byte[16];
            int n = await sock.ReceiveAsync(b);
            await sock.SendAllAsync(b.AsMemory(0, n));
        });
        int failures = 3;
        server.AcceptOne = listener => failures-- > 0
            ? ValueTask.FromException<GreenSocket>(new SocketException((int)SocketError.TooManyOpenSockets))
            : listener.AcceptAsync();
        server.Start();
        using GreenSocket c = GreenSocket.CreateTcp();
        c.Timeout = TimeSpan.FromSeconds(30);
        await c.ConnectAsync(server.Address);
        await c.SendAllAsync("ok"u8.ToArray());
        Assert.Equal("ok", System.Text.Encoding.ASCII.GetString(await NetHub.ReceiveExactlyAsync(c, 2)));
        Assert.True(server.Started);
        Assert.Equal(3, server.AcceptErrors);
        Assert.Equal(SocketError.TooManyOpenSockets, ((SocketException)server.LastAcceptError!).SocketErrorCode);
    });
}
