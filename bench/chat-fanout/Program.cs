// The chat's fan-out benchmark (issue 13): N members in one room, each on its own WebSocket; a
// message is put; how long until every member has it (p50/p99/max over all members and
// messages), the chat process's memory per member (VmRSS after the members joined, minus
// before, over N), and its CPU time per delivery while the messages went out.
//
//   dotnet run -c Release --project bench/chat-fanout -- [--members 10000] [--messages 20] [--instances 1|2] [--hold SECONDS]
//
// --hold pauses after the memory is measured and prints the chat processes' ids, for a look at
// them as measured (dotnet-counters, dotnet-gcdump, /proc/PID/smaps).
//
// With --instances 2 it starts its own redis-server and two chat processes on it (--redis); the
// members are split between them and the messages are put on the first: the second delivers
// them through Redis. The crowd is one GeventSharp hub of green sockets speaking just enough
// WebSocket (RFC 6455) to read the server's frames.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using GeventSharp;
using GeventSharp.Net;

int members = 10_000, messages = 20, instances = 1;
double hold = 0;
string chatExtra = "";
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--members": members = int.Parse(args[++i]); break;
        case "--messages": messages = int.Parse(args[++i]); break;
        case "--instances": instances = int.Parse(args[++i]); break;
        case "--chat-args": chatExtra = args[++i]; break;
        case "--hold": hold = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var children = new List<Process>();
try
{
    string? redis = null;
    if (instances > 1)
    {
        int redisPort = LocalPorts.Free();
        children.Add(StartProcess("redis-server", $"--port {redisPort} --bind 127.0.0.1 --save \"\" --appendonly no", null));
        redis = $"127.0.0.1:{redisPort}";
        LocalPorts.WaitFor(redisPort);
    }

    var servers = new List<(IPEndPoint EndPoint, Process Process)>();
    for (int i = 0; i < instances; i++)
    {
        int port = LocalPorts.Free();
        string chatArgs = $"{Path.Combine(AppContext.BaseDirectory, "Chat.dll")} --port {port} --no-limits --no-access-log {chatExtra} " + (redis is null ? "--memory" : $"--redis {redis}");
        Process chat = StartProcess("dotnet", chatArgs, "chat on");
        children.Add(chat);
        servers.Add((new IPEndPoint(IPAddress.Loopback, port), chat));
    }

    Console.WriteLine($"{members:N0} WebSocket members in one room, {instances} chat process(es){(redis is null ? "" : " on Redis")}, {messages} messages");
    Gevent.Run(async () =>
    {
        // The sender joins first (so each server has the room loaded), then memory is measured.
        (string cookie, string csrf) = await JoinAsync(servers[0].EndPoint, "sender");

        // Every process serves one WebSocket (opened, then closed) before it is measured, so no
        // process's figure includes the code compiled for its first WebSocket and the others not.
        for (int i = 0; i < servers.Count; i++)
        {
            GreenSocket warm = await OpenAsync(servers[i].EndPoint, members + i);
            warm.Dispose();
        }

        await Gevent.Sleep(1);
        long[] before = servers.Select(s => Rss(s.Process)).ToArray();

        var arrivals = new long[messages, members];
        int connected = 0;
        var sockets = new GreenSocket[members];
        var gate = new BoundedSemaphore(500); // handshakes in flight at once
        var all = new Event();
        Stopwatch clock = Stopwatch.StartNew();
        for (int m = 0; m < members; m++)
        {
            int member = m;
            Gevent.Spawn(async Task () =>
            {
                IPEndPoint server = servers[member % servers.Count].EndPoint;
                await gate.AcquireAsync();
                GreenSocket sock;
                try
                {
                    sock = await OpenAsync(server, member);
                }
                finally
                {
                    gate.Release();
                }

                sockets[member] = sock;
                if (++connected == members)
                {
                    all.Set();
                }

                await ReadFramesAsync(sock, payload =>
                {
                    long now = clock.ElapsedTicks;
                    ReadOnlySpan<byte> marker = "\"text\":\"bench-"u8;
                    for (int at = payload.IndexOf(marker); at >= 0; at = payload.IndexOf(marker) is var next and >= 0 ? next : -1)
                    {
                        payload = payload[(at + marker.Length)..];
                        int k = 0;
                        for (int d = 0; d < payload.Length && char.IsAsciiDigit((char)payload[d]); d++)
                        {
                            k = k * 10 + payload[d] - '0';
                        }

                        if (k < messages && arrivals[k, member] == 0)
                        {
                            arrivals[k, member] = now;
                        }
                    }
                });
            });
        }

        await all.WaitAsync();
        Console.WriteLine($"connected in {clock.Elapsed.TotalSeconds:0.0} s");
        await Gevent.Sleep(2);
        GC.Collect();
        long[] after = servers.Select(s => Rss(s.Process)).ToArray();
        for (int i = 0; i < servers.Count; i++)
        {
            int here = members / servers.Count + (i < members % servers.Count ? 1 : 0);
            Console.WriteLine($"chat process {i + 1}: VmRSS {before[i] / 1024.0:0.0} MiB before the members, {after[i] / 1024.0:0.0} MiB with {here:N0}: {(after[i] - before[i]) * 1024.0 / here / 1024:0.00} KiB per member");
        }

        if (hold > 0)
        {
            // For a look at the chat processes as measured (dotnet-counters, /proc/PID/smaps): PIDs, then a pause.
            Console.WriteLine($"holding {hold} s: chat PIDs {string.Join(' ', servers.Select(s => s.Process.Id))}");
            await Gevent.Sleep(hold);
        }

        // One message first, not counted: like every other benchmark here, the figures are taken
        // after a warm-up (the chat's first fan-out pays for compiling its send path).
        await PutAsync(servers[0].EndPoint, cookie, csrf, "warm-up");
        await Gevent.Sleep(1);
        Console.WriteLine("one warm-up message sent (not counted)");

        var latencies = new List<double>();
        var worst = new List<double>();
        long[] cpuBefore = servers.Select(s => CpuTicks(s.Process)).ToArray();
        for (int k = 0; k < messages; k++)
        {
            long sent = clock.ElapsedTicks;
            await PutAsync(servers[0].EndPoint, cookie, csrf, $"bench-{k}");
            for (int wait = 0; wait < 1000 && Enumerable.Range(0, members).Any(i => arrivals[k, i] == 0); wait++)
            {
                await Gevent.Sleep(0.01);
            }

            int missing = Enumerable.Range(0, members).Count(i => arrivals[k, i] == 0);
            double[] ms = Enumerable.Range(0, members).Where(i => arrivals[k, i] != 0).Select(i => (arrivals[k, i] - sent) * 1000.0 / Stopwatch.Frequency).Order().ToArray();
            latencies.AddRange(ms);
            worst.Add(ms[^1]);
            Console.WriteLine($"message {k}: all {members - missing:N0} members in {ms[^1]:0} ms (p50 {ms[ms.Length / 2]:0}, p99 {ms[(int)(ms.Length * 0.99)]:0}){(missing > 0 ? $", {missing} missing" : "")}");
            await Gevent.Sleep(0.5);
        }

        double[] sorted = latencies.Order().ToArray();
        Console.WriteLine($"over {messages} messages x {members:N0} members: p50 {sorted[sorted.Length / 2]:0} ms, p99 {sorted[(int)(sorted.Length * 0.99)]:0} ms, max {sorted[^1]:0} ms");

        // CPU time the chat processes spent (user + system), over the deliveries: unlike the
        // latencies, this hardly depends on what else the machine is doing.
        // /proc counts 100 ticks a second (USER_HZ): 10 ms each.
        double cpuMs = servers.Select((s, i) => (CpuTicks(s.Process) - cpuBefore[i]) * 10.0).Sum();
        Console.WriteLine($"chat CPU time during the messages: {cpuMs:0} ms, {cpuMs * 1000 / ((double)messages * members):0.00} µs per delivery");
        foreach (GreenSocket s in sockets)
        {
            s.Close();
        }
    });
}
finally
{
    foreach (Process p in children)
    {
        p.Kill();
        p.WaitForExit();
    }
}

return 0;

static async Task<GreenSocket> OpenAsync(IPEndPoint server, int member)
{
    GreenSocket sock = GreenSocket.CreateTcp();
    await sock.ConnectAsync(server);
    string session = member.ToString("x32");
    await sock.SendAllAsync(Encoding.ASCII.GetBytes(
        $"GET /ws/bench/m{member} HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nCookie: chat_session={session}\r\n\r\n"));
    var head = new StringBuilder();
    byte[] one = new byte[1];
    while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
    {
        if (await sock.ReceiveAsync(one) == 0)
        {
            throw new IOException($"member {member}: closed during the handshake: {head}");
        }

        head.Append((char)one[0]);
    }

    if (!head.ToString().StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
    {
        throw new IOException($"member {member}: {head}");
    }

    return sock;
}

static async Task ReadFramesAsync(GreenSocket sock, TextFrame onText)
{
    byte[] buf = new byte[64 * 1024];
    int start = 0, end = 0;
    while (true)
    {
        // One frame from the server: unmasked, FIN set (the chat sends whole messages).
        while (true)
        {
            int have = end - start;
            if (have >= 2)
            {
                int len = buf[start + 1] & 0x7F, headLen = 2;
                if (len == 126 && have >= 4)
                {
                    len = (buf[start + 2] << 8) | buf[start + 3];
                    headLen = 4;
                }
                else if (len == 126 || len == 127)
                {
                    len = -1;
                }

                if (len >= 0 && have >= headLen + len)
                {
                    if ((buf[start] & 0x0F) == 1)
                    {
                        onText(buf.AsSpan(start + headLen, len));
                    }

                    start += headLen + len;
                    continue;
                }
            }

            break;
        }

        if (start > 0)
        {
            Buffer.BlockCopy(buf, start, buf, 0, end - start);
            end -= start;
            start = 0;
        }

        int n;
        try
        {
            n = await sock.ReceiveAsync(buf.AsMemory(end));
        }
        catch (SocketException)
        {
            return;
        }

        if (n == 0)
        {
            return;
        }

        end += n;
    }
}

static async Task<(string Cookie, string Csrf)> JoinAsync(IPEndPoint server, string name)
{
    string response = await RequestAsync(server, $"GET /bench/{name} HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n\r\n");
    string cookie = Regex.Match(response, "Set-Cookie: ([^;]*)").Groups[1].Value;
    string csrf = Regex.Match(response, "data-csrf=\"([^\"]*)\"").Groups[1].Value;
    return (cookie, csrf);
}

static async Task PutAsync(IPEndPoint server, string cookie, string csrf, string text)
{
    string body = "message=" + Uri.EscapeDataString(text);
    string response = await RequestAsync(server, $"POST /put/bench/sender HTTP/1.1\r\nHost: {server}\r\nCookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
    if (!response.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
    {
        throw new IOException("put refused: " + response);
    }
}

static async Task<string> RequestAsync(IPEndPoint server, string request)
{
    GreenSocket sock = GreenSocket.CreateTcp();
    await sock.ConnectAsync(server);
    await sock.SendAllAsync(Encoding.UTF8.GetBytes(request));
    var response = new MemoryStream();
    byte[] buf = new byte[16 * 1024];
    int n;
    while ((n = await sock.ReceiveAsync(buf)) > 0)
    {
        response.Write(buf, 0, n);
    }

    sock.Close();
    return Encoding.UTF8.GetString(response.ToArray());
}

static long Rss(Process p)
{
    foreach (string line in File.ReadLines($"/proc/{p.Id}/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
        {
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]); // KiB
        }
    }

    return 0;
}

// utime + stime of /proc/PID/stat, in clock ticks (USER_HZ, 100 on Linux).
static long CpuTicks(Process p)
{
    string stat = File.ReadAllText($"/proc/{p.Id}/stat");
    string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return long.Parse(fields[11]) + long.Parse(fields[12]); // fields 14 and 15 of proc(5), counted from 1 before the name
}

static Process StartProcess(string file, string arguments, string? ready)
{
    var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    Process p = Process.Start(start)!;
    p.ErrorDataReceived += (_, _) => { };
    p.BeginErrorReadLine();
    var up = new ManualResetEventSlim();
    p.OutputDataReceived += (_, e) =>
    {
        if (ready is null || e.Data?.StartsWith(ready, StringComparison.Ordinal) == true)
        {
            up.Set();
        }
    };
    p.BeginOutputReadLine();
    if (ready is not null && !up.Wait(TimeSpan.FromSeconds(30)))
    {
        throw new InvalidOperationException($"{file} {arguments} did not start");
    }

    return p;
}

/// <summary>What the crowd does with each text frame (its payload, valid until it returns).</summary>
internal delegate void TextFrame(ReadOnlySpan<byte> payload);
