using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace GeventSharp.Http;

/// <summary>
/// A server WebSocket that refuses messages over a size (<see cref="HttpServerOptions.MaxWebSocketMessageSize"/>):
/// .NET's own has no such limit, and a client could stream one message for as long as it likes.
/// </summary>
/// <remarks>
/// It counts the bytes of the message being received, across frames and receives. The receive
/// that takes the count over the limit sends a close frame with 1009 (Message Too Big) and throws
/// a <see cref="WebSocketException"/> instead of returning the bytes; the connection then ends
/// with the handler, which is not reported as failed. Everything else goes to the inner socket.
/// </remarks>
internal sealed class SizeLimitedWebSocket(WebSocket inner, long maxMessageSize) : WebSocket
{
    private long _messageBytes;

    public override WebSocketCloseStatus? CloseStatus => inner.CloseStatus;

    public override string? CloseStatusDescription => inner.CloseStatusDescription;

    public override WebSocketState State => inner.State;

    public override string? SubProtocol => inner.SubProtocol;

    public override async Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
    {
        WebSocketReceiveResult r = await inner.ReceiveAsync(buffer, cancellationToken);
        await CountAsync(r.MessageType, r.Count, r.EndOfMessage);
        return r;
    }

    public override ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        // A zero-byte receive between messages (how an idle handler waits for the next one) goes
        // straight to the inner socket: it takes no bytes, and if it ends an empty message the count
        // is 0 already. So a waiting socket holds no state machine of this wrapper.
        return buffer.IsEmpty && _messageBytes == 0 ? inner.ReceiveAsync(buffer, cancellationToken) : ReceiveCountedAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ValueWebSocketReceiveResult> ReceiveCountedAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ValueWebSocketReceiveResult r = await inner.ReceiveAsync(buffer, cancellationToken);
        await CountAsync(r.MessageType, r.Count, r.EndOfMessage);
        return r;
    }

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        => inner.SendAsync(buffer, messageType, endOfMessage, cancellationToken);

    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        => inner.SendAsync(buffer, messageType, endOfMessage, cancellationToken);

    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, WebSocketMessageFlags messageFlags, CancellationToken cancellationToken)
        => inner.SendAsync(buffer, messageType, messageFlags, cancellationToken);

    public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
        => inner.CloseAsync(closeStatus, statusDescription, cancellationToken);

    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
        => inner.CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

    public override void Abort() => inner.Abort();

    public override void Dispose() => inner.Dispose();

    /// <summary>Adds a receive to the message's count; over the limit, closes with 1009 and throws.</summary>
    private ValueTask CountAsync(WebSocketMessageType type, int count, bool endOfMessage)
    {
        if (type == WebSocketMessageType.Close)
        {
            return default;
        }

        _messageBytes += count;
        if (_messageBytes > maxMessageSize)
        {
            return RefuseAsync();
        }

        if (endOfMessage)
        {
            _messageBytes = 0;
        }

        return default;
    }

    private async ValueTask RefuseAsync()
    {
        string why = $"A message over {maxMessageSize} bytes.";
        await inner.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, why, default);
        throw new WebSocketException(WebSocketError.Faulted, why);
    }
}
