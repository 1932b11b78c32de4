using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace GeventSharp.Http;

/// <summary>The WebSocket opening handshake (RFC 6455 §4.2): checks the request, answers 101, and hands the connection to .NET's <see cref="WebSocket"/>.</summary>
internal static class WebSocketUpgrade
{
    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>True for a GET with <c>Connection: Upgrade</c>, <c>Upgrade: websocket</c> and a key.</summary>
    public static bool IsHandshake(HttpRequest request)
        => request.Method == "GET"
            && request.Headers.ContainsToken("Connection", "upgrade")
            && request.Headers.ContainsToken("Upgrade", "websocket")
            && request.Headers.Contains("Sec-WebSocket-Key");

    /// <summary>Answers the handshake of <paramref name="request"/> and returns the WebSocket over <paramref name="transport"/>.</summary>
    /// <param name="request">The handshake.</param>
    /// <param name="response">Its response, not started: its header fields go into the 101.</param>
    /// <param name="writer">The connection's writer, which sends the 101 and sends nothing after it.</param>
    /// <param name="input">The connection's input: frames the client sent right behind its handshake are already there.</param>
    /// <param name="transport">The connection's stream.</param>
    /// <param name="subProtocol">The subprotocol to speak, one the client offered; null for none.</param>
    /// <param name="keepAliveInterval">How often to ping; null for .NET's default.</param>
    /// <param name="maxMessageSize">The largest message the client may send (1009 beyond); null for no limit.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<WebSocket> AcceptAsync(
        HttpRequest request, HttpResponse response, ResponseWriter writer, ConnectionInput input, Stream transport, string? subProtocol, TimeSpan? keepAliveInterval, long? maxMessageSize)
    {
        writer.CheckWritable(response);
        if (writer.HasStarted)
        {
            throw new InvalidOperationException("The response head was already sent: accept the WebSocket before writing anything.");
        }

        if (!IsHandshake(request))
        {
            throw HttpRejection.Create(RejectReason.NotAWebSocketHandshake);
        }

        if (request.Headers["Sec-WebSocket-Version"] != "13")
        {
            throw HttpRejection.Create(RejectReason.WebSocketVersionNotSupported); // answered with Sec-WebSocket-Version: 13 (HttpRejection.HeaderFor)
        }

        if (request.ContentLength != 0)
        {
            throw HttpRejection.Create(RejectReason.WebSocketHandshakeWithBody);
        }

        string key = request.Headers["Sec-WebSocket-Key"]!.Trim();
        if (!IsSixteenBytesOfBase64(key))
        {
            throw HttpRejection.Create(RejectReason.WebSocketKeyMalformed);
        }

        if (subProtocol is not null && !request.Headers.ContainsToken("Sec-WebSocket-Protocol", subProtocol))
        {
            throw new InvalidOperationException($"The client did not offer the subprotocol \"{subProtocol}\" (it offered: {request.Headers["Sec-WebSocket-Protocol"] ?? "none"}).");
        }

        writer.MarkUpgraded();
        await writer.WriteRawAsync(Head(key, subProtocol, response.Headers), default).ConfigureAwait(false);

        Stream stream = input.Count > 0 ? new PrefixedStream(input.TakeAll(), transport) : transport;
        WebSocket ws = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
        {
            IsServer = true,
            SubProtocol = subProtocol,
            KeepAliveInterval = keepAliveInterval ?? WebSocket.DefaultKeepAliveInterval,
        });
        return maxMessageSize is { } max ? new SizeLimitedWebSocket(ws, max) : ws;
    }

    /// <summary>The 101 response that accepts <paramref name="key"/>.</summary>
    public static byte[] Head(string key, string? subProtocol, HttpHeaders headers)
    {
        string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + Guid)));
        var head = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
        head.Append("Sec-WebSocket-Accept: ").Append(accept).Append("\r\n");
        if (subProtocol is not null)
        {
            head.Append("Sec-WebSocket-Protocol: ").Append(subProtocol).Append("\r\n");
        }

        foreach (KeyValuePair<string, string> f in headers)
        {
            head.Append(f.Key).Append(": ").Append(f.Value).Append("\r\n");
        }

        return Encoding.Latin1.GetBytes(head.Append("\r\n").ToString());
    }

    private static bool IsSixteenBytesOfBase64(string key)
    {
        Span<byte> decoded = stackalloc byte[24];
        return Convert.TryFromBase64String(key, decoded, out int length) && length == 16;
    }
}
