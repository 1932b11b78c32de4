using System.Net;
using System.Net.Sockets;

namespace AsyncBaseline;

/// <summary>
/// Async-socket TCP echo server on the default thread pool: one async method
/// per connection, reading up to 64 KiB and sending back what was read.
/// </summary>
internal static class Echo
{
    public static async Task RunAsync(IPAddress host, int port)
    {
        using var listener = new Socket(host.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(host, port));
        listener.Listen(4096);
        Console.Error.WriteLine($"dotnet-async echo listening on {listener.LocalEndPoint}");
        while (true)
        {
            Socket conn;
            try
            {
                conn = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                Console.Error.WriteLine($"accept: {e.SocketErrorCode}");
                await Task.Delay(10).ConfigureAwait(false);
                continue;
            }
            _ = ServeAsync(conn);
        }
    }

    private static async Task ServeAsync(Socket conn)
    {
        conn.NoDelay = true;
        byte[] buf = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await conn.ReceiveAsync(buf.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                int sent = 0;
                while (sent < n)
                {
                    sent += await conn.SendAsync(buf.AsMemory(sent, n - sent), SocketFlags.None).ConfigureAwait(false);
                }
            }
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            conn.Dispose();
        }
    }
}
