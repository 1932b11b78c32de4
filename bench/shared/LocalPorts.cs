using System.Net;
using System.Net.Sockets;

// Shared by the benchmark drivers that start servers as child processes (bench/chat-fanout,
// bench/idle-connections): pick a free loopback port, then wait until a child listens on it.
internal static class LocalPorts
{
    /// <summary>A loopback port nothing listens on right now (the kernel's choice).</summary>
    public static int Free()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Connects to <paramref name="endPoint"/> until it accepts (10 s at most), or throws.</summary>
    public static void WaitFor(IPEndPoint endPoint)
    {
        for (int i = 0; i < 200; i++)
        {
            try
            {
                using var c = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                c.Connect(endPoint);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50); // real-time: the server process is starting
            }
        }

        throw new InvalidOperationException($"nothing listens on {endPoint}");
    }

    /// <summary><see cref="WaitFor(IPEndPoint)"/> on the loopback address.</summary>
    public static void WaitFor(int port) => WaitFor(new IPEndPoint(IPAddress.Loopback, port));
}
