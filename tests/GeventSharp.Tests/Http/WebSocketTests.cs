using System.Net.WebSockets;
using System.Text;
using GeventSharp.Http;
using GeventSharp.Net;
using GeventSharp.Tests.Net;
using Xunit;

namespace GeventSharp.Tests.Http;

public class WebSocketTests
{
    /// <summary>Echoes every message back upper-cased, until the client closes.</summary>
    private static async Task EchoUpper(HttpRequest request, HttpResponse response)
    {
        if (!request.IsWebSocketRequest)
        {
            await response.WriteAsync("plain http");
            return;
        }

        using WebSocket ws = await response.AcceptWebSocketAsync(subProtocol: request.Headers.ContainsToken("Sec-WebSocket-Protocol", "chat") ? "chat" : null);
        byte[] buffer = new byte[4096];
        while (true)
        {
            WebSocketReceiveResult r = await ws.ReceiveAsync(buffer, default);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", default);
                return;
            }

            string text = Encoding.UTF8.GetString(buffer, 0, r.Count).ToUpperInvariant();
            await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, default);
        }
    }

    private static async Task<string> ReceiveTextAsync(WebSocket ws)
    {
        byte[] buffer = new byte[4096];
        WebSocketReceiveResult r = await ws.ReceiveAsync(buffer, default);
        return Encoding.UTF8.GetString(buffer, 0, r.Count);
    }

    [Fact]
    public void ClientWebSocket_ExchangesMessages_AndClosesCleanly() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using var server = new HttpServer(NetHub.Loopback0, EchoUpper);
        server.Start();
        using var client = new ClientWebSocket();
        client.Options.AddSubProtocol("chat");
        await client.ConnectAsync(new Uri($"ws://{server.Address}/ws"), default);
        Assert.Equal("chat", client.SubProtocol);
        foreach (string word in new[] { "hello", "wörld" })
        {
            await client.SendAsync(Encoding.UTF8.GetBytes(word), WebSocketMessageType.Text, true, default);
            Assert.Equal(word.ToUpperInvariant(), await ReceiveTextAsync(client));
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", default);
        Assert.Equal(WebSocketState.Closed, client.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    });

    [Fact]
    public void ManyWebSockets_AreServedConcurrentlyByOneHub() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using var server = new HttpServer(NetHub.Loopback0, EchoUpper);
        server.Start();
        var clients = Enumerable.Range(0, 20).Select(i => Gevent.Spawn(async Task<string> () =>
        {
            using var ws = new ClientWebSocket();
            await ws.ConnectAsync(new Uri($"ws://{server.Address}/"), default);
            await ws.SendAsync(Encoding.UTF8.GetBytes($"c{i}"), WebSocketMessageType.Text, true, default);
            string reply = await ReceiveTextAsync(ws);
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);
            return reply;
        })).ToList();
        await Gevent.JoinAllAsync(clients, raiseError: true);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"C{i}"), clients.Select(c => c.Value));
    });

    [Fact]
    public void Handshake_ReturnsTheRfc6455AcceptKey_AndFramesSentRightBehindItAreNotLost() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using var server = new HttpServer(NetHub.Loopback0, EchoUpper);
        server.Start();
        using RawHttpClient raw = await RawHttpClient.ConnectAsync(server.Address);
        // The key and accept value from RFC 6455 §1.3; a masked text frame "hi" follows the handshake in the same send.
        byte[] mask = [1, 2, 3, 4];
        string frame = Encoding.Latin1.GetString([0x81, 0x82, .. mask, (byte)('h' ^ 1), (byte)('i' ^ 2)]);
        await raw.SendAsync("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" + frame);
        RawResponse r = await raw.ReadHeadAsync();
        Assert.Equal(101, r.Status);
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", r.Header("Sec-WebSocket-Accept"));
        Assert.Equal("websocket", r.Header("Upgrade"));
        Assert.Equal(new byte[] { 0x81, 2, (byte)'H', (byte)'I' }, await raw.ReadExactlyAsync(4)); // the frame was answered
    });

    [Fact]
    public void WrongVersion_Gets426_AndAPlainRequestIsNotAnUpgrade() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using var server = new HttpServer(NetHub.Loopback0, async (request, response) =>
        {
            if (request.Path == "/ws")
            {
                using WebSocket ws = await response.AcceptWebSocketAsync();
                return;
            }

            await EchoUpper(request, response);
        });
        server.Start();
        using (RawHttpClient raw = await RawHttpClient.ConnectAsync(server.Address))
        {
            await raw.SendAsync("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n");
            RawResponse r = await raw.ReadResponseAsync();
            Assert.Equal(426, r.Status);
            Assert.Contains("version 13", r.Body);
        }

        using RawHttpClient plain = await RawHttpClient.ConnectAsync(server.Address);
        await plain.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal("plain http", (await plain.ReadResponseAsync()).Body);
    });
}
