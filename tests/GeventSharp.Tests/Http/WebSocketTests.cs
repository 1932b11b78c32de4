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
            Assert.Equal("13", r.Header("Sec-WebSocket-Version")); // RFC 6455 §4.4: the versions the server speaks
            Assert.True(await raw.ClosedByServerAsync());
        }

        using RawHttpClient plain = await RawHttpClient.ConnectAsync(server.Address);
        await plain.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal("plain http", (await plain.ReadResponseAsync()).Body);
    });

    private const string Handshake = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    [Theory]
    [InlineData("Content-Length: 5\r\n\r\nhello")]
    [InlineData("Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")]
    public void AnUpgradeWithABody_Gets400_AndTheBodyIsNotReadAsFrames(string bodyPart) => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using var server = new HttpServer(NetHub.Loopback0, EchoUpper);
        server.Start();
        using RawHttpClient raw = await RawHttpClient.ConnectAsync(server.Address);
        await raw.SendAsync(Handshake + bodyPart);
        RawResponse r = await raw.ReadResponseAsync();
        Assert.Equal(400, r.Status);
        Assert.Contains("it has a body", r.Body);
        Assert.Equal("close", r.Header("Connection"));
        Assert.True(await raw.ClosedOrResetByServerAsync());
    });

    [Theory]
    [InlineData("an unmasked frame", 1002)]
    [InlineData("reserved bits set", 1002)]
    [InlineData("invalid UTF-8 in a text message", 1007)]
    public void AClientsProtocolError_ClosesWithItsCode_AndIsNotReportedAsACrash(string what, int code) => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using var server = new HttpServer(NetHub.Loopback0, EchoUpper); // any error it let escape would fail the test (NetHub.Run)
        server.Start();
        using RawHttpClient raw = await RawHttpClient.ConnectAsync(server.Address);
        byte[] frame = what switch
        {
            "an unmasked frame" => [0x81, 0x06, .. "hello!"u8],
            "reserved bits set" => Frame(0x81 | 0x40, "hi"u8.ToArray()),
            _ => Frame(0x81, [0xC3, 0x28]),
        };
        await raw.SendAsync(Handshake + "\r\n" + Encoding.Latin1.GetString(frame));
        Assert.Equal(101, (await raw.ReadHeadAsync()).Status);

        Assert.Equal(code, await ReadCloseCodeAsync(raw));
        Assert.True(await raw.ClosedOrResetByServerAsync());
    });

    [Fact]
    public void AMessageOverTheLimit_ClosesWith1009_WhileOneAtTheLimitIsServed() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using var server = new HttpServer(NetHub.Loopback0, EchoUpper, new HttpServerOptions { MaxWebSocketMessageSize = 16 });
        server.Start();

        using (RawHttpClient raw = await RawHttpClient.ConnectAsync(server.Address))
        {
            await raw.SendAsync(Handshake + "\r\n");
            Assert.Equal(101, (await raw.ReadHeadAsync()).Status);
            await raw.SendAsync(Frame(0x01, "sixteen bytes..."u8.ToArray())); // two frames of one message: 16 bytes in all
            await raw.SendAsync(Frame(0x80, []));
            Assert.Equal("SIXTEEN BYTES...", await ReadTextAsync(raw));
            await raw.SendAsync(Frame(0x81, "eight b."u8.ToArray())); // the count starts again with each message
            Assert.Equal("EIGHT B.", await ReadTextAsync(raw));
            await raw.SendAsync(Frame(0x01, "eight b."u8.ToArray()));
            await raw.SendAsync(Frame(0x80, "and nine!"u8.ToArray())); // 17 bytes in all
            Assert.Equal(1009, await ReadCloseCodeAsync(raw, skipDataFrames: true));
            Assert.True(await raw.ClosedOrResetByServerAsync());
        }

        using RawHttpClient huge = await RawHttpClient.ConnectAsync(server.Address);
        await huge.SendAsync(Handshake + "\r\n");
        Assert.Equal(101, (await huge.ReadHeadAsync()).Status);
        await huge.SendAsync(Frame(0x82, new byte[5000], declaredLength: 1L << 30)); // a 1 GiB frame: cut at the first receive (the handler's 4 KiB), not streamed
        Assert.Equal(1009, await ReadCloseCodeAsync(huge));
        Assert.True(await huge.ClosedOrResetByServerAsync());
    });

    [Fact]
    public void TheMessageLimit_Is1MiBByDefault_AndNullLiftsIt()
    {
        Assert.Equal(1 << 20, new HttpServerOptions().MaxWebSocketMessageSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpServer(NetHub.Loopback0, EchoUpper, new HttpServerOptions { MaxWebSocketMessageSize = 0 }));
        _ = new HttpServer(NetHub.Loopback0, EchoUpper, new HttpServerOptions { MaxWebSocketMessageSize = null });
    }

    /// <summary>A client frame, masked (with a fixed key), its length as declared or as long as the payload.</summary>
    private static byte[] Frame(int firstByte, byte[] payload, long? declaredLength = null)
    {
        byte[] mask = [0x11, 0x22, 0x33, 0x44];
        long length = declaredLength ?? payload.Length;
        var frame = new List<byte> { (byte)firstByte };
        if (length < 126)
        {
            frame.Add((byte)(0x80 | length));
        }
        else
        {
            frame.Add(0x80 | 127);
            frame.AddRange(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(length)));
        }

        frame.AddRange(mask);
        frame.AddRange(payload.Select((b, i) => (byte)(b ^ mask[i % 4])));
        return frame.ToArray();
    }

    /// <summary>Reads the server's next non-empty text frame (EchoUpper answers each receive, an empty one too).</summary>
    private static async Task<string> ReadTextAsync(RawHttpClient raw)
    {
        while (true)
        {
            byte[] head = await raw.ReadExactlyAsync(2);
            Assert.Equal(0x81, head[0]);
            byte[] payload = await raw.ReadExactlyAsync(head[1]);
            if (payload.Length > 0)
            {
                return Encoding.UTF8.GetString(payload);
            }
        }
    }

    /// <summary>Reads the server's close frame (skipping data frames before it if asked) and returns its status code.</summary>
    private static async Task<int> ReadCloseCodeAsync(RawHttpClient raw, bool skipDataFrames = false)
    {
        while (true)
        {
            byte[] head = await raw.ReadExactlyAsync(2);
            int length = head[1] & 0x7F;
            Assert.True(length < 126, "a short frame from the server");
            byte[] payload = await raw.ReadExactlyAsync(length);
            if ((head[0] & 0x0F) == 0x08)
            {
                return (payload[0] << 8) | payload[1];
            }

            Assert.True(skipDataFrames, $"a frame of opcode {head[0] & 0x0F} before the close");
        }
    }
}
