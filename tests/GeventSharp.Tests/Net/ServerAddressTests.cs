using System.Net;
using System.Net.Sockets;
using GeventSharp.Http;
using GeventSharp.Net;
using Xunit;

namespace GeventSharp.Tests.Net;

/// <summary>
/// A server's <c>Address</c> is never null, as gevent's <c>server.address</c>: the address it was
/// given until it starts, the bound one (with the port the system chose) from then on, and still
/// after a stop.
/// </summary>
public class ServerAddressTests
{
    [Fact]
    public void StreamServer_Address_IsTheGivenOneBeforeStart_TheBoundOneAfter() => NetHub.Run(PollerKind.Auto, async () =>
    {
        var server = new StreamServer(NetHub.Loopback0, (sock, peer) => Task.CompletedTask);
        Assert.Equal(NetHub.Loopback0, server.Address);
        server.Start();
        int port = server.Address.Port;
        Assert.NotEqual(0, port);
        Assert.Equal(IPAddress.Loopback, server.Address.Address);
        await server.StopAsync();
        Assert.Equal(port, server.Address.Port);
        Assert.Contains($"127.0.0.1:{port} closed", server.ToString(), StringComparison.Ordinal);
    });

    [Fact]
    public void StreamServer_OnAListeningSocket_HasItsAddressAtOnce() => NetHub.Run(PollerKind.Auto, async () =>
    {
        GreenSocket listener = GreenSocket.Listen(NetHub.Loopback0);
        var server = new StreamServer(listener, (sock, peer) => Task.CompletedTask);
        Assert.Equal(listener.LocalEndPoint, server.Address);
        Assert.NotEqual(0, server.Address.Port);
        await server.DisposeAsync();
    });

    [Fact]
    public void DatagramServer_Address_IsTheGivenOneBeforeStart_TheBoundOneAfter() => NetHub.Run(PollerKind.Auto, async () =>
    {
        var server = new DatagramServer(NetHub.Loopback0, (s, data, peer) => Task.CompletedTask);
        Assert.Equal(NetHub.Loopback0, server.Address);
        server.Start();
        int port = server.Address.Port;
        Assert.NotEqual(0, port);
        await server.StopAsync();
        Assert.Equal(port, server.Address.Port);
    });

    [Fact]
    public void HttpServer_Address_IsTheStreamServers() => NetHub.Run(PollerKind.Auto, async () =>
    {
        var server = new HttpServer(NetHub.Loopback0, (request, response) => Task.CompletedTask);
        Assert.Equal(NetHub.Loopback0, server.Address);
        Assert.Contains("127.0.0.1:0 not started", server.ToString(), StringComparison.Ordinal);
        server.Start();
        Assert.NotEqual(0, server.Address.Port);
        await server.StopAsync();
    });

    [Fact]
    public void AnEndPointThatIsNotAnIPEndPoint_IsRefusedAtConstruction()
    {
        var dns = new DnsEndPoint("localhost", 0);
        ArgumentException e = Assert.Throws<ArgumentException>(() => new StreamServer(dns, (sock, peer) => Task.CompletedTask));
        Assert.Contains("IPEndPoint", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DatagramServer(new UnixDomainSocketEndPoint("/tmp/x.sock"), (s, data, peer) => Task.CompletedTask));
        Assert.Throws<ArgumentNullException>(() => new StreamServer((EndPoint)null!, (sock, peer) => Task.CompletedTask));
    }
}
