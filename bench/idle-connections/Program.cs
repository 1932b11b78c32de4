// Memory per idle connection (issue 12): N keep-alive connections, each after one request, then
// N WebSockets, each after one echoed message, held open on a server process; the server's VmRSS
// after minus before, over N; and its managed heap the same way (GET /gc: a full collection,
// answered with GC.GetTotalMemory). The servers are the bench/compare ones in their --idle mode,
// GeventSharp's HttpServer (one hub) and Kestrel (its defaults), each started fresh per kind of
// connection. The client is this process: plain blocking sockets, one connection at a time.
//
//   bench/idle-connections/run.sh [--connections 10000] [--servers geventsharp,kestrel] [--kinds http,ws]
//                                 [--gen0-max-budget BYTES] [--gcdump PREFIX]
//
// --gen0-max-budget caps the GC's gen0 allocation budget of every server (both alike, through
// DOTNET_GCGen0MaxBudget): on a machine reporting a large L3 the GC sizes it up to 80 MiB, and the
// garbage of the N connections' first requests stays resident up to that budget (docs/http.md).
//
// --gcdump writes PREFIX-server-kind.gcdump (dotnet-gcdump, on the PATH) of each server once its
// connections are open: `dotnet-gcdump report FILE` lists what they hold, type by type.
//
// (run.sh builds the servers and raises the descriptor limit.)
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

int n = 10_000;
string[] servers = ["geventsharp", "kestrel"];
string[] kinds = ["http", "ws"];
long gen0MaxBudget = 0;
string? gcdump = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--connections": n = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--servers": servers = args[++i].Split(','); break;
        case "--kinds": kinds = args[++i].Split(','); break;
        case "--gen0-max-budget": gen0MaxBudget = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--gcdump": gcdump = args[++i]; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

string root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "GeventSharp.slnx")))
{
    root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new InvalidOperationException("run from inside the repository");
}

Console.WriteLine($"{n:N0} idle connections per run; server VmRSS and managed heap (after a full GC), after minus before, over N" +
    (gen0MaxBudget > 0 ? $"; every server's gen0 budget capped at {gen0MaxBudget / 1024.0 / 1024:0.#} MiB" : ""));
Console.WriteLine($"| server | connection | RSS per connection | managed heap per connection |");
Console.WriteLine($"|---|---|---:|---:|");
foreach (string server in servers)
{
    foreach (string kind in kinds)
    {
        (double rss, double heap) = Measure(root, server, kind == "ws", n, gen0MaxBudget,
            gcdump is null ? null : Path.GetFullPath($"{gcdump}-{server}-{kind}.gcdump"));
        Console.WriteLine($"| {server} | {(kind == "ws" ? "WebSocket" : "HTTP keep-alive")} | {rss:0.00} KiB | {heap:0.00} KiB |");
    }
}

return 0;

static (double RssKiB, double HeapKiB) Measure(string root, string server, bool webSocket, int n, long gen0MaxBudget, string? gcdump)
{
    int port = LocalPorts.Free();
    string dll = server switch
    {
        "geventsharp" => "bench/compare/geventsharp-http/bin/Release/net10.0/GeventSharpHttp.dll",
        "kestrel" => "bench/compare/dotnet/Kestrel/bin/Release/net10.0/Kestrel.dll",
        _ => throw new ArgumentException($"unknown server {server}"),
    };
    var start = new ProcessStartInfo("dotnet", $"{Path.Combine(root, dll)} --port {port} --idle") { RedirectStandardError = true, RedirectStandardOutput = true };
    if (gen0MaxBudget > 0)
    {
        start.Environment["DOTNET_GCGen0MaxBudget"] = gen0MaxBudget.ToString("x", CultureInfo.InvariantCulture); // hexadecimal, as the runtime reads it
    }
    using Process process = Process.Start(start)!;
    process.ErrorDataReceived += (_, _) => { };
    process.OutputDataReceived += (_, _) => { };
    process.BeginErrorReadLine();
    process.BeginOutputReadLine();
    var endPoint = new IPEndPoint(IPAddress.Loopback, port);
    var open = new List<Socket>(n);
    try
    {
        LocalPorts.WaitFor(endPoint);

        // Warm up: every path JIT-compiled at its last tier and the pools primed, then nothing held.
        // Tiered compilation counts a method's calls only once no method has been compiled for 100 ms,
        // and recompiles it in the background after 30: so several rounds, each followed by a pause.
        // With one round the recompilations happened during the measurement, and the JIT's native
        // memory (malloc's arenas, kept by the process) counted as the connections': up to 0.8 KiB per
        // connection at 10,000 (none with DOTNET_TieredCompilation=0).
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 500; i++)
            {
                using Socket warm = Open(endPoint, webSocket);
            }

            Thread.Sleep(1000); // real-time: the tiering delay passes, the background recompilations and the server's closes of the warm-up connections complete
        }
        long heapBefore = Heap(endPoint);
        long rssBefore = Rss(process);
        for (int i = 0; i < n; i++)
        {
            open.Add(Open(endPoint, webSocket));
        }

        Thread.Sleep(2000); // real-time: let the server's last connections settle into their idle wait
        long heapAfter = Heap(endPoint);
        long rssAfter = Rss(process);
        if (gcdump is not null)
        {
            // What the idle connections hold, type by type (dotnet-gcdump report FILE): taken after the measurement.
            using Process dump = Process.Start("dotnet-gcdump", $"collect -p {process.Id} -o {gcdump}")!;
            dump.WaitForExit();
        }

        return ((rssAfter - rssBefore) / (double)n, (heapAfter - heapBefore) / 1024.0 / n);
    }
    finally
    {
        foreach (Socket s in open)
        {
            s.Dispose();
        }

        process.Kill();
        process.WaitForExit();
    }
}

// One connection after one exchange: a GET answered on a keep-alive connection, or a WebSocket
// handshake and one echoed message.
static Socket Open(IPEndPoint endPoint, bool webSocket)
{
    var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    s.Connect(endPoint);
    if (!webSocket)
    {
        s.Send("GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n"u8);
        ReadUntil(s, "Hello, World!"u8);
        return s;
    }

    s.Send("GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"u8);
    byte[] head = ReadUntil(s, "\r\n\r\n"u8);
    if (!head.AsSpan().StartsWith("HTTP/1.1 101"u8))
    {
        throw new IOException("handshake refused: " + Encoding.Latin1.GetString(head));
    }

    // A masked text frame "hi" (mask 0: the payload as is), echoed unmasked.
    s.Send([0x81, 0x82, 0, 0, 0, 0, (byte)'h', (byte)'i']);
    ReadUntil(s, "hi"u8);
    return s;
}

static byte[] ReadUntil(Socket s, ReadOnlySpan<byte> marker)
{
    var got = new MemoryStream();
    byte[] buffer = new byte[1024];
    while (got.GetBuffer().AsSpan(0, (int)got.Length).IndexOf(marker) < 0)
    {
        int r = s.Receive(buffer);
        if (r == 0)
        {
            throw new IOException("the server closed the connection: " + Encoding.Latin1.GetString(got.ToArray()));
        }

        got.Write(buffer, 0, r);
    }

    return got.ToArray();
}

// The managed heap after a full collection, as the server reports it.
static long Heap(IPEndPoint endPoint)
{
    using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    s.Connect(endPoint);
    s.Send("GET /gc HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"u8);
    var got = new MemoryStream();
    byte[] buffer = new byte[1024];
    int r;
    while ((r = s.Receive(buffer)) > 0)
    {
        got.Write(buffer, 0, r);
    }

    string text = Encoding.Latin1.GetString(got.ToArray());
    return long.Parse(text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..].Trim(), CultureInfo.InvariantCulture);
}

static long Rss(Process p)
{
    foreach (string line in File.ReadLines($"/proc/{p.Id}/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
        {
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture); // KiB
        }
    }

    throw new InvalidOperationException("no VmRSS");
}

