using System.Net;
using System.Text;
using GeventSharp.Net;

namespace GeventSharp.Samples.UdpEcho;

/// <summary>
/// gevent's <c>udp_server.py</c> and <c>udp_client.py</c> in one program: a
/// <see cref="DatagramServer"/> that echoes datagrams, and a client that sends one and prints the reply.
/// </summary>
/// <example>
/// <code>
/// dotnet run --project samples/UdpEcho -c Release -- server 9000
/// dotnet run --project samples/UdpEcho -c Release -- client 9000 hello
/// dotnet run --project samples/UdpEcho -c Release -- demo
/// </code>
/// </example>
public static class UdpEchoSample
{
    /// <summary>Runs <c>server PORT</c>, <c>client PORT MESSAGE</c>, or <c>demo</c> (both, on a free port).</summary>
    public static int Main(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "demo";
        int port = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 0;
        string message = args.Length > 2 ? args[2] : "Hello, UDP";
        switch (mode)
        {
            case "server":
                Gevent.Run(async () =>
                {
                    DatagramServer server = CreateServer(new IPEndPoint(IPAddress.Loopback, port));
                    server.Start();
                    Console.WriteLine($"Receiving datagrams on {server.Address}");
                    await server.ServeForeverAsync();
                });
                return 0;
            case "client":
                Gevent.Run(async () => Console.WriteLine(await SendAsync(new IPEndPoint(IPAddress.Loopback, port), message)));
                return 0;
            case "demo":
                Gevent.Run(async () => Console.WriteLine(await DemoAsync(message)));
                return 0;
            default:
                Console.Error.WriteLine("usage: UdpEcho server PORT | client PORT MESSAGE | demo");
                return 2;
        }
    }

    /// <summary>Creates (does not start) a server that sends each datagram back to its sender.</summary>
    public static DatagramServer CreateServer(IPEndPoint endpoint)
        => new(endpoint, async (server, data, peer) =>
        {
            Console.WriteLine($"{peer}: got {Encoding.UTF8.GetString(data)}");
            await server.SendToAsync(data, peer);
        });

    /// <summary>Sends <paramref name="message"/> to <paramref name="server"/> and returns the reply (waits up to 5 s).</summary>
    public static async Task<string> SendAsync(IPEndPoint server, string message)
    {
        using GreenSocket sock = GreenSocket.CreateUdp(server.AddressFamily);
        sock.Timeout = TimeSpan.FromSeconds(5);
        await sock.SendToAsync(Encoding.UTF8.GetBytes(message), server);
        byte[] buffer = new byte[65536];
        System.Net.Sockets.SocketReceiveFromResult r = await sock.ReceiveFromAsync(buffer);
        return $"{r.RemoteEndPoint}: {Encoding.UTF8.GetString(buffer, 0, r.ReceivedBytes)}";
    }

    /// <summary>Starts a server on a free loopback port, sends one message, stops; returns the client's line.</summary>
    public static async Task<string> DemoAsync(string message)
    {
        DatagramServer server = CreateServer(new IPEndPoint(IPAddress.Loopback, 0));
        server.Start();
        try
        {
            return await SendAsync(server.Address, message);
        }
        finally
        {
            await server.StopAsync();
        }
    }
}
