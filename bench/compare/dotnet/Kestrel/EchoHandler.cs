using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

/// <summary>
/// Kestrel's own TCP echo (bench/compare/echo.sh, server "kestrel"): a connection handler on
/// Kestrel's socket transport, the way ASP.NET Core serves a non-HTTP protocol. What the input
/// pipe holds is copied to the output pipe and flushed, until the peer closes.
/// </summary>
internal sealed class EchoHandler : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        PipeReader input = connection.Transport.Input;
        PipeWriter output = connection.Transport.Output;
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync();
                ReadOnlySequence<byte> buffer = result.Buffer;
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    output.Write(segment.Span);
                }

                input.AdvanceTo(buffer.End);
                FlushResult flushed = await output.FlushAsync();
                if (result.IsCompleted || flushed.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (ConnectionResetException)
        {
            // the peer went away: done
        }
    }
}
