using System.Net;
using GeventSharp.Net;

namespace GeventSharp.Samples.PortForwarder;

/// <summary>
/// gevent's <c>portforwarder.py</c>: accepts connections and forwards each, in both directions,
/// to a target address; one greenlet per direction.
/// </summary>
/// <example>
/// <code>
/// dotnet run --project samples/PortForwarder -c Release -- 127.0.0.1:8080 127.0.0.1:80
/// </code>
/// </example>
public static class PortForwarderSample
{
    /// <summary>Forwards <c>args[0]</c> (listen address) to <c>args[1]</c> (target) until killed.</summary>
    public static int Main(string[] args)
    {
        if (args.Length != 2 || !IPEndPoint.TryParse(args[0], out IPEndPoint? listen) || !IPEndPoint.TryParse(args[1], out IPEndPoint? target))
        {
            Console.Error.WriteLine("usage: PortForwarder LISTEN_IP:PORT TARGET_IP:PORT");
            return 2;
        }

        Gevent.Run(async () =>
        {
            StreamServer server = Create(listen, target);
            server.Start();
            Console.WriteLine($"Forwarding {server.Address} -> {target}");
            await server.ServeForeverAsync();
        });
        return 0;
    }

    /// <summary>Creates (does not start) a forwarder from <paramref name="listen"/> to <paramref name="target"/>.</summary>
    public static StreamServer Create(IPEndPoint listen, IPEndPoint target)
        => new(listen, (client, peer) => ForwardAsync(client, target));

    private static async Task ForwardAsync(GreenSocket client, IPEndPoint target)
    {
        using GreenSocket upstream = await GreenSocket.CreateConnectionAsync(target.Address.ToString(), target.Port, TimeSpan.FromSeconds(10));
        Greenlet up = Gevent.Spawn(() => PipeAsync(client, upstream));
        Greenlet down = Gevent.Spawn(() => PipeAsync(upstream, client));
        try
        {
            await Gevent.JoinAllAsync([up, down]);
        }
        finally
        {
            Gevent.KillAll([up, down]);
        }
    }

    /// <summary>Copies <paramref name="from"/> to <paramref name="to"/> until end of stream, then shuts down the write side.</summary>
    private static async Task PipeAsync(GreenSocket from, GreenSocket to)
    {
        byte[] buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer)) > 0)
            {
                await to.SendAllAsync(buffer.AsMemory(0, n));
            }
        }
        catch (System.Net.Sockets.SocketException)
        {
            // A reset on either side ends this direction; the other ends on its own.
        }
        finally
        {
            if (!to.Closed)
            {
                to.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            }
        }
    }
}
