using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using GeventSharp.Net;
using GeventSharp.Tests.Core;
using Xunit;

namespace GeventSharp.Tests.Net;

[Collection(nameof(TelemetryCollection))]
public class ServerMetricsTests
{
    public static TheoryData<PollerKind> Pollers => NetHub.Pollers;

    /// <summary>Yields until <paramref name="condition"/> holds (other greenlets and the poller run meanwhile).</summary>
    internal static async Task UntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 100_000 && !condition(); i++)
        {
            await Gevent.Sleep(0);
        }

        Assert.True(condition());
    }

    private static double Last(MetricsRecorder metrics, string instrument, int port) => metrics.ForPort(instrument, port).Last().Value;

    [Theory]
    [MemberData(nameof(Pollers))]
    public void Connections_AndBytes_AreCountedPerServer(PollerKind poller)
    {
        using var metrics = new MetricsRecorder();
        NetHub.Run(poller, async () =>
        {
            var server = new StreamServer(NetHub.Loopback0, async (sock, peer) =>
            {
                byte[] buffer = new byte[16];
                int n = await sock.ReceiveAsync(buffer);
                await sock.SendAllAsync(buffer.AsMemory(0, n)); // echo once
                await sock.ReceiveAsync(buffer); // until the client closes
            });
            server.Start();
            int port = server.Address.Port;
            GreenSocket a = await GreenSocket.CreateConnectionAsync("127.0.0.1", port, TimeSpan.FromSeconds(10));
            GreenSocket b = await GreenSocket.CreateConnectionAsync("127.0.0.1", port, TimeSpan.FromSeconds(10));
            await a.SendAllAsync(Encoding.ASCII.GetBytes("hello"));
            await b.SendAllAsync(Encoding.ASCII.GetBytes("hi"));
            await NetHub.ReceiveExactlyAsync(a, 5);
            await NetHub.ReceiveExactlyAsync(b, 2);

            Assert.Equal(2, Last(metrics, "gevent.server.connections.active", port));
            Assert.Equal(2, Last(metrics, "gevent.server.connections.accepted", port));
            Assert.Equal(7, Last(metrics, "gevent.server.bytes_received", port));
            Assert.Equal(7, Last(metrics, "gevent.server.bytes_sent", port));
            RecordedMeasurement tagged = metrics.ForPort("gevent.server.connections.active", port).Last();
            Assert.Equal("127.0.0.1", tagged.Tag("server.address"));
            Assert.Equal("tcp", tagged.Tag("network.transport"));

            a.Close();
            b.Close();
            await UntilAsync(() => server.ConnectionCount == 0);
            Assert.Equal(0, Last(metrics, "gevent.server.connections.active", port));
            Assert.Equal(2, Last(metrics, "gevent.server.connections.accepted", port));

            await server.StopAsync();
            metrics.Clear();
            Assert.Empty(metrics.ForPort("gevent.server.connections.accepted", port)); // a stopped server is not reported
        });
    }

    [Fact]
    public void FailedTlsHandshake_CountsAsRejected()
    {
        using X509Certificate2 cert = TlsTests.SelfSigned();
        using var metrics = new MetricsRecorder();
        NetHub.Run(PollerKind.Epoll, async () =>
        {
            await using var server = StreamServer.CreateTls(NetHub.Loopback0, cert, (tls, peer) => Task.CompletedTask);
            server.Start();
            int port = server.Address.Port;
            using (GreenSocket plain = await GreenSocket.CreateConnectionAsync("127.0.0.1", port, TimeSpan.FromSeconds(10)))
            {
                await plain.SendAllAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n\r\n")); // not a TLS hello
                try
                {
                    await plain.ReceiveAsync(new byte[256]); // the server gives up on the handshake and closes
                }
                catch (System.Net.Sockets.SocketException)
                {
                    // or resets the connection
                }
            }

            await UntilAsync(() => server.ConnectionCount == 0);
            Assert.Equal(1, Last(metrics, "gevent.server.connections.rejected", port));
            Assert.Equal(1, Last(metrics, "gevent.server.connections.accepted", port));
        });
    }

    [Fact]
    public void DatagramServer_CountsBytes() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        using var metrics = new MetricsRecorder();
        await using var server = new DatagramServer(NetHub.Loopback0, (s, data, peer) => s.SendToAsync(data, peer).AsTask());
        server.Start();
        int port = server.Address.Port;
        using GreenSocket client = GreenSocket.CreateUdp();
        await client.SendToAsync(Encoding.ASCII.GetBytes("ping!"), server.Address);
        await client.ReceiveFromAsync(new byte[16]);
        await UntilAsync(() => metrics.ForPort("gevent.server.bytes_sent", port).LastOrDefault()?.Value == 5);
        Assert.Equal(5, Last(metrics, "gevent.server.bytes_received", port));
        Assert.Equal("udp", metrics.ForPort("gevent.server.bytes_sent", port).Last().Tag("network.transport"));
    });
}
