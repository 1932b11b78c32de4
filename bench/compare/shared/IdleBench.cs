// Shared by the bench servers' --idle mode (geventsharp-http/, dotnet/Kestrel/), for
// bench/idle-connections: the same WebSocket echo and the same heap probe on both servers.
using System.Buffers;
using System.Net.WebSockets;

internal static class IdleBench
{
    /// <summary>
    /// Echoes messages until the client closes, holding no buffer between them: waits for a frame
    /// with a zero-byte receive, then rents a buffer for the message and returns it once echoed.
    /// </summary>
    public static async Task EchoAsync(WebSocket ws)
    {
        while (true)
        {
            ValueWebSocketReceiveResult ready = await ws.ReceiveAsync(Memory<byte>.Empty, default);
            if (ready.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);
                return;
            }

            byte[] buffer = ArrayPool<byte>.Shared.Rent(4096);
            try
            {
                ValueWebSocketReceiveResult r = await ws.ReceiveAsync(buffer.AsMemory(), default);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);
                    return;
                }

                await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, default);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>A full blocking collection, then the bytes of the managed heap still in use (the body of GET /gc).</summary>
    public static string CollectAndMeasure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: false).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
