using System.Buffers;
using System.Net;
using GeventSharp.Net;

namespace GeventSharp.Samples.EchoServer;

/// <summary>
/// The echo server of gevent's examples (<c>echoserver.py</c>): every connection is served by a
/// greenlet that sends back what it receives until the client closes.
/// </summary>
/// <example>
/// <code>
/// dotnet run --project samples/EchoServer -c Release -- 16000
/// dotnet run --project samples/EchoServer -c Release -- 16000 --hubs 0   # one hub per core
/// # then: nc 127.0.0.1 16000
/// </code>
/// </example>
public static class EchoServerSample
{
    /// <summary>
    /// Runs the server on 127.0.0.1:<c>args[0]</c> (default 16000; 0 picks a free port) until
    /// SIGTERM or Ctrl+C, which stop it gracefully: new connections are refused, open ones get
    /// <c>args[1]</c> seconds (default 1) to finish, then they are closed. <c>--hubs N</c> serves
    /// on N hubs, one thread each (0: one per core) through a <see cref="HubGroup"/>; the default, 1,
    /// is gevent's single thread.
    /// </summary>
    public static int Main(string[] args)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        int hubs = 1;
        int at = Array.IndexOf(args, "--hubs");
        if (at >= 0)
        {
            hubs = int.Parse(args[at + 1], invariant);
            args = [.. args[..at], .. args[(at + 2)..]];
        }

        int port = args.Length > 0 ? int.Parse(args[0], invariant) : 16000;
        TimeSpan stopTimeout = TimeSpan.FromSeconds(args.Length > 1 ? double.Parse(args[1], invariant) : 1);
        ProcessLimits.RaiseOpenFileLimit(65536); // one descriptor per connection
        if (hubs != 1)
        {
            return RunOnHubs(hubs, port, stopTimeout);
        }

        Gevent.Run(async () =>
        {
            StreamServer server = Create(new IPEndPoint(IPAddress.Loopback, port), new StreamServerOptions { Backlog = 4096, StopTimeout = stopTimeout });
            server.Start();
            Console.WriteLine($"Starting echo server on {server.Address}");
            Console.Out.Flush();
            using IDisposable signals = Gevent.OnShutdownSignal(async () =>
            {
                Task stopping = server.StopAsync(); // the listener is closed when it returns
                Console.WriteLine($"stopping: {server.ConnectionCount} connection(s) get {stopTimeout.TotalSeconds} s to finish");
                await stopping;
            });
            await server.ServeForeverAsync();
            Console.WriteLine("stopped");
        });
        return 0;
    }

    /// <summary>
    /// Serves on <paramref name="hubs"/> hubs (0: one per core), each with its own server; SIGTERM
    /// or Ctrl+C stops them all gracefully.
    /// </summary>
    private static int RunOnHubs(int hubs, int port, TimeSpan stopTimeout)
    {
        var group = new HubGroup(new HubGroupOptions { Count = hubs == 0 ? null : hubs });
        _ = group.Started.ContinueWith(
            started => Console.WriteLine($"Starting echo server on {started.Result} ({group.Count} hubs, {(group.ReusePort ? "SO_REUSEPORT" : "one acceptor")})"),
            TaskContinuationOptions.OnlyOnRanToCompletion);
        group.Run(new IPEndPoint(IPAddress.Loopback, port), endpoint => Create(endpoint, new StreamServerOptions { Backlog = 4096, StopTimeout = stopTimeout }));
        Console.WriteLine("stopped");
        return 0;
    }

    /// <summary>Creates (does not start) the echo server on <paramref name="endpoint"/>.</summary>
    public static StreamServer Create(IPEndPoint endpoint, StreamServerOptions? options = null) => new(endpoint, HandleAsync, options);

    /// <summary>
    /// Echoes one connection. An idle connection holds no buffer: the greenlet waits until the
    /// socket is readable, then borrows a buffer for one receive and send.
    /// </summary>
    public static async Task HandleAsync(GreenSocket socket, EndPoint peer)
    {
        while (true)
        {
            await socket.WaitReadableAsync();
            byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                int n = await socket.ReceiveAsync(buffer);
                if (n == 0)
                {
                    return;
                }

                await socket.SendAllAsync(buffer.AsMemory(0, n));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
