// GeventSharp echo server for bench/compare: one hub (one thread), a greenlet per connection,
// waits until the socket is readable, then reads up to 16 KiB into a buffer rented from the shared
// ArrayPool and writes back exactly what was read, until the peer closes (the pattern docs/networking.md
// recommends for many connections: an idle connection holds no buffer).
//
//   GeventSharpEcho --port 9000 [--host 127.0.0.1] [--backlog 4096] [--poller epoll|portable] [--monitor] [--hubs N]
//
// --hubs N runs N hubs on N threads through GeventSharp's HubGroup, each with its own listener on
// the same port (SO_REUSEPORT; the kernel spreads connections over them): GeventSharp's way to use
// several cores in one process (gevent needs one process per core). Default 1, the
// gevent-comparable setup.
//
// --monitor turns on the hub monitor (100 ms threshold) and prints, on exit (SIGTERM/SIGINT),
// how many times it reported a blocked hub: the acceptance check "the monitor stays silent".
using System.Buffers;
using System.Net;
using GeventSharp;
using GeventSharp.Net;

int port = 9000, backlog = 4096;
string host = "127.0.0.1";
PollerKind poller = PollerKind.Auto;
bool monitor = false;
int hubs = 1;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i].TrimStart('-'))
    {
        case "port": port = int.Parse(args[++i]); break;
        case "host": host = args[++i]; break;
        case "backlog": backlog = int.Parse(args[++i]); break;
        case "poller": poller = Enum.Parse<PollerKind>(args[++i], ignoreCase: true); break;
        case "monitor": monitor = true; break;
        case "hubs": hubs = int.Parse(args[++i]); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var blocked = new BlockedReports();
var group = new HubGroup(new HubGroupOptions { Count = hubs, HubOptions = blocked.HubOptions(monitor, poller) });
_ = group.Started.ContinueWith(
    started => Console.Error.WriteLine($"geventsharp echo listening on {started.Result} ({hubs} hub(s), poller {poller})"),
    TaskContinuationOptions.OnlyOnRanToCompletion);
group.Run(new IPEndPoint(IPAddress.Parse(host), port), endpoint => new StreamServer(
    endpoint,
    async (sock, peer) =>
    {
        try
        {
            while (true)
            {
                // Wait for data holding no buffer, then borrow one for this receive and send: the
                // pool hands the hub thread the same array each time, so it stays in cache, and an
                // idle connection holds none.
                await sock.WaitReadableAsync();
                byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
                try
                {
                    int n = await sock.ReceiveAsync(buffer);
                    if (n == 0)
                    {
                        return;
                    }

                    await sock.SendAllAsync(buffer.AsMemory(0, n));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (System.Net.Sockets.SocketException)
        {
            // peer reset: done
        }
    },
    new StreamServerOptions { Backlog = backlog, StopTimeout = TimeSpan.Zero }));
if (monitor)
{
    Console.Error.WriteLine($"monitor: {blocked.Count} blocked-hub report(s)");
}

return 0;
