using System.Net.WebSockets;
using System.Text;
using GeventSharp.Http;
using GeventSharp.Net;
using GeventSharp.Tests.Net;
using Xunit;

namespace GeventSharp.Tests.Http;

/// <summary>An idle connection holds no buffer: it waits for the next request without one and rents one when bytes arrive.</summary>
public class HttpIdleBufferTests
{
    internal static HttpServer StartServer(Func<HttpRequest, HttpResponse, Task> handler)
    {
        var server = new HttpServer(NetHub.Loopback0, handler);
        server.Start();
        return server;
    }

    private static Task Hello(HttpRequest request, HttpResponse response)
        => response.WriteAsync($"hello {request.Path} {request.Headers["X-Big"]?.Length ?? 0}").AsTask();

    /// <summary>
    /// Lets the server's greenlets run until <paramref name="done"/> holds (or a bound of hub turns passes;
    /// the assertion after it decides): with the portable poller the server's completions arrive from the thread pool.
    /// </summary>
    internal static async Task SettleAsync(Func<bool> done, int turns = 100_000)
    {
        for (int i = 0; i < turns && !done(); i++)
        {
            await Gevent.Sleep(0);
        }
    }

    private static Task SettleAsync(HttpServer server) => SettleAsync(() => server.ConnectionsHoldingBuffers == 0);

    [Theory]
    [InlineData(PollerKind.Epoll)]
    [InlineData(PollerKind.Portable)]
    public void IdleKeepAliveConnection_HoldsNoBuffer_AndServesTheNextRequest(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        await using HttpServer server = StartServer(Hello);
        using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
        await SettleAsync(() => server.ConnectionCount == 1);
        Assert.Equal(1, server.ConnectionCount);
        Assert.Equal(0, server.ConnectionsHoldingBuffers); // connected, nothing sent yet

        for (int i = 0; i < 3; i++)
        {
            await client.SendAsync($"GET /{i} HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal($"hello /{i} 0", (await client.ReadResponseAsync()).Body);
            await SettleAsync(server);
            Assert.Equal(1, server.ConnectionCount);
            Assert.Equal(0, server.ConnectionsHoldingBuffers);
        }
    });

    [Fact]
    public void IdleKeepAliveConnections_AddNoHubTimer_TheirKeepAliveDeadlineIsAField() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using HttpServer server = StartServer(Hello);
        var clients = new List<RawHttpClient>();
        try
        {
            int timersWithOne = -1;
            for (int i = 0; i < 10; i++)
            {
                RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
                clients.Add(client);
                await client.SendAsync($"GET /{i} HTTP/1.1\r\nHost: x\r\n\r\n");
                Assert.Equal($"hello /{i} 0", (await client.ReadResponseAsync()).Body);
                await SettleAsync(server);
                if (i == 0)
                {
                    timersWithOne = Hub.Current!.PendingTimerCount; // the server's heartbeat (and whatever else the hub runs)
                }
            }

            Assert.Equal(10, server.ConnectionCount);
            Assert.Equal(timersWithOne, Hub.Current!.PendingTimerCount); // nine more idle connections, not one timer more
        }
        finally
        {
            foreach (RawHttpClient client in clients)
            {
                client.Dispose();
            }
        }
    });

    [Fact]
    public void IdleConnections_LeaveTheirBuffersAsTheServersSpares_AndTheLastToCloseReturnsThem() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using HttpServer server = StartServer(Hello);
        using (RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address))
        {
            await client.SendAsync("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal("hello /a 0", (await client.ReadResponseAsync()).Body);
            await SettleAsync(server);
            Assert.Equal(0, server.ConnectionsHoldingBuffers);
            Assert.Equal(2, server.Spares.Count); // the idle connection's input and response buffers, for the next request on any connection
        }

        await SettleAsync(() => server.ConnectionCount == 0);
        Assert.Equal(0, server.ConnectionCount);
        Assert.Equal(0, server.Spares.Count); // no connection left: back to the shared pool
    });

    [Fact]
    public void PipelinedBytesLeftAfterAResponse_KeepTheBuffer_AndAreServed() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using HttpServer server = StartServer(Hello);
        using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
        await client.SendAsync("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHo");
        Assert.Equal("hello /1 0", (await client.ReadResponseAsync()).Body);
        await SettleAsync(() => false, turns: 10); // the server reads the rest and waits for more
        Assert.Equal(1, server.ConnectionsHoldingBuffers); // half of the next head is buffered

        await client.SendAsync("st: x\r\n\r\n");
        Assert.Equal("hello /2 0", (await client.ReadResponseAsync()).Body);
        await SettleAsync(server);
        Assert.Equal(0, server.ConnectionsHoldingBuffers);
    });

    [Fact]
    public void LargeHeadAfterAnIdleWait_GrowsTheRentedBuffer() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using HttpServer server = StartServer(Hello);
        using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
        await client.SendAsync("GET /small HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal("hello /small 0", (await client.ReadResponseAsync()).Body);
        await SettleAsync(server);
        Assert.Equal(0, server.ConnectionsHoldingBuffers);

        string big = new('b', 12_000); // three times the first buffer
        await client.SendAsync($"GET /big HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n");
        Assert.Equal("hello /big 12000", (await client.ReadResponseAsync()).Body);
        await SettleAsync(server);
        Assert.Equal(0, server.ConnectionsHoldingBuffers);
    });

    [Fact]
    public void OpenWebSocket_HoldsNoConnectionBuffer_AndStillEchoes() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using HttpServer server = StartServer(async (request, response) =>
        {
            using WebSocket ws = await response.AcceptWebSocketAsync();
            byte[] buffer = new byte[256];
            while (true)
            {
                WebSocketReceiveResult r = await ws.ReceiveAsync(buffer, default);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);
                    return;
                }

                await ws.SendAsync(buffer.AsMemory(0, r.Count), WebSocketMessageType.Text, true, default);
            }
        });
        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri($"ws://{server.Address}/"), default);
        await SettleAsync(server);
        Assert.Equal(0, server.ConnectionsHoldingBuffers);

        await client.SendAsync(Encoding.UTF8.GetBytes("ping"), WebSocketMessageType.Text, true, default);
        byte[] reply = new byte[16];
        WebSocketReceiveResult echoed = await client.ReceiveAsync(reply, default);
        Assert.Equal("ping", Encoding.UTF8.GetString(reply, 0, echoed.Count));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);
    });

    /// <summary>The connection reads the client's address only when asked (an idle connection holds none), and gives the right one.</summary>
    [Theory]
    [InlineData(PollerKind.Epoll)]
    [InlineData(PollerKind.Portable)]
    public void RemoteEndPoint_IsTheClientsAddress_ReadWhenAsked(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        await using HttpServer server = StartServer((request, response) => response.WriteAsync($"{request.RemoteEndPoint}|{request.RemoteEndPoint}").AsTask());
        using GreenSocket probe = await GreenSocket.CreateConnectionAsync(server.Address.Address.ToString(), server.Address.Port, TimeSpan.FromSeconds(10));
        await probe.SendAllAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        string expected = $"{probe.LocalEndPoint}|{probe.LocalEndPoint}";
        var got = new StringBuilder();
        byte[] buffer = new byte[1024];
        while (!got.ToString().EndsWith(expected, StringComparison.Ordinal))
        {
            int n = await probe.ReceiveAsync(buffer);
            Assert.NotEqual(0, n);
            got.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        string body = got.ToString()[(got.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        Assert.Equal(expected, body); // read from the socket, the same every time it is asked
    });
}
