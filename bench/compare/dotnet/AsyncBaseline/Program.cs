// AsyncBaseline: plain .NET Task/async-await reference for bench/compare.
//
//   AsyncBaseline [micro] -workload NAME [-n N] [-procs P] [-warmup W] [-warm-seconds S]
//   AsyncBaseline echo --port PORT [--host 127.0.0.1]
//
// Micro workloads print one JSON line (see bench/compare/README.md). Before the timed run an
// untimed warm-up pass of W operations runs in the same process; the default, as in every program
// of the harness, is n/10 (0: none; blocked has none).
// -procs 1 (default): everything runs on one thread under SingleThreadContext ("dotnet-async").
// -procs 0: default thread pool, as a .NET user writes it ("dotnet-tpl"). -procs P > 1: thread pool capped to P worker
// threads (SetMinThreads/SetMaxThreads; the runtime refuses a cap below the
// processor count, in which case a warning is printed and the default is kept).
using System.Globalization;
using System.Net;
using AsyncBaseline;

static string? Opt(string[] args, string name)
{
    for (int i = 0; i < args.Length - 1; i++)
    {
        if (args[i] == "-" + name || args[i] == "--" + name)
        {
            return args[i + 1];
        }
    }
    return null;
}

static int Usage(string message)
{
    Console.Error.WriteLine(message);
    Console.Error.WriteLine("usage: AsyncBaseline [micro] -workload spawn_join|yield|channel_pingpong|event_fanout|blocked [-n N] [-procs P] [-warmup W] [-warm-seconds S]");
    Console.Error.WriteLine("       AsyncBaseline echo --port PORT [--host 127.0.0.1]");
    return 2;
}

if (args.Length > 0 && args[0] == "echo")
{
    if (!int.TryParse(Opt(args, "port"), out int port) || port is <= 0 or > 65535)
    {
        return Usage("echo: --port PORT required");
    }
    IPAddress host = IPAddress.Parse(Opt(args, "host") ?? "127.0.0.1");
    await Echo.RunAsync(host, port);
    return 0;
}

string workload = Opt(args, "workload") ?? "";
if (!Micro.DefaultN.TryGetValue(workload, out int n))
{
    return Usage($"unknown -workload '{workload}'");
}
if (Opt(args, "n") is { } nText && int.Parse(nText, CultureInfo.InvariantCulture) > 0)
{
    n = int.Parse(nText, CultureInfo.InvariantCulture);
}
int procs = int.Parse(Opt(args, "procs") ?? "1", CultureInfo.InvariantCulture);
int warmup = workload == "blocked" ? 0 : Math.Min(n, Opt(args, "warmup") is { } w ? int.Parse(w, CultureInfo.InvariantCulture) : n / 10);
bool threadPool = procs != 1;
double warmSeconds = Opt(args, "warm-seconds") is { } ws ? double.Parse(ws, CultureInfo.InvariantCulture) : 0;
long warmed = 0;

async Task<(double Seconds, double? BytesPerOp, double? HeapBytesPerOp)> Measure()
{
    long until = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(warmSeconds * System.Diagnostics.Stopwatch.Frequency);
    if (warmup > 0)
    {
        do
        {
            await Micro.RunAsync(workload, warmup, threadPool);
            warmed += warmup;
        }
        while (System.Diagnostics.Stopwatch.GetTimestamp() < until);
    }
    return await Micro.RunAsync(workload, n, threadPool);
}

(double seconds, double? bytesPerOp, double? heapBytesPerOp) result;
if (procs == 1)
{
    result = SingleThreadContext.Run(Measure);
}
else
{
    if (procs > 1)
    {
        ThreadPool.GetMaxThreads(out _, out int io);
        if (!ThreadPool.SetMinThreads(procs, procs) || !ThreadPool.SetMaxThreads(procs, io))
        {
            Console.Error.WriteLine($"warning: could not cap the thread pool at {procs} threads");
        }
    }
    result = await Task.Run(Measure);
}

var inv = CultureInfo.InvariantCulture;
string Num(double? v) => v is { } x ? x.ToString("R", inv) : "null";
Console.WriteLine(
    $"{{\"workload\":\"{workload}\",\"runtime\":\"{(threadPool ? "dotnet-tpl" : "dotnet-async")}\",\"n\":{n},\"ops\":{n},\"warmup\":{warmed}," +
    $"\"seconds\":{Num(result.seconds)},\"ns_per_op\":{Num(result.seconds * 1e9 / n)}," +
    $"\"bytes_per_op\":{Num(result.bytesPerOp)},\"heap_bytes_per_op\":{Num(result.heapBytesPerOp)}}}");
return 0;
