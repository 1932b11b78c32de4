// AsyncBaseline: plain .NET Task/async-await reference for bench/compare.
//
//   AsyncBaseline [micro] -workload NAME [-n N] [-procs P] [-warmup W] [-warmup-ms MS]
//   AsyncBaseline echo --port PORT [--host 127.0.0.1]
//
// Micro workloads print one JSON line (see bench/compare/README.md). -warmup-ms MS repeats the
// warm-up until MS milliseconds have passed (tiered compilation reaches optimized code first).
// -procs 1 (default): everything runs on one thread under SingleThreadContext.
// -procs 0: default thread pool. -procs P > 1: thread pool capped to P worker
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
    Console.Error.WriteLine("usage: AsyncBaseline [micro] -workload spawn_join|yield|channel_pingpong|event_fanout|blocked [-n N] [-procs P] [-warmup W] [-warmup-ms MS]");
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
int warmup = int.Parse(Opt(args, "warmup") ?? "10000", CultureInfo.InvariantCulture);
int warmupMs = int.Parse(Opt(args, "warmup-ms") ?? "0", CultureInfo.InvariantCulture);

async Task<(double Seconds, double? BytesPerOp)> Measure()
{
    if (workload != "blocked" && warmup > 0)
    {
        long warmupStart = System.Diagnostics.Stopwatch.GetTimestamp();
        do
        {
            await Micro.RunAsync(workload, Math.Min(warmup, n));
        }
        while (System.Diagnostics.Stopwatch.GetElapsedTime(warmupStart).TotalMilliseconds < warmupMs);
    }
    return await Micro.RunAsync(workload, n);
}

(double seconds, double? bytesPerOp) result;
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
string bytes = result.bytesPerOp is { } b ? b.ToString("R", inv) : "null";
Console.WriteLine(
    $"{{\"workload\":\"{workload}\",\"runtime\":\"dotnet-async\",\"n\":{n}," +
    $"\"seconds\":{result.seconds.ToString("R", inv)}," +
    $"\"ns_per_op\":{(result.seconds * 1e9 / n).ToString("R", inv)},\"bytes_per_op\":{bytes}}}");
return 0;
