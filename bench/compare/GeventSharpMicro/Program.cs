// GeventSharpMicro: the bench/compare micro workloads on GeventSharp.
//
//   GeventSharpMicro -workload NAME [-n N] [-warmup W] [-warmup-ms MS]
//
// Prints one JSON line in the format of go/micro, python/micro.py and AsyncBaseline
// (see ../README.md), with "runtime":"geventsharp". Everything runs on one hub (one thread),
// like GOMAXPROCS=1 Go and gevent. -warmup-ms MS repeats the warm-up until MS milliseconds have
// passed, so tiered compilation has produced optimized code before timing (as BenchmarkDotNet's
// warm-up does); run.sh passes the same value to AsyncBaseline.
using System.Globalization;
using GeventSharpMicro;

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
    Console.Error.WriteLine("usage: GeventSharpMicro -workload spawn_join|yield|channel_pingpong|event_fanout|blocked [-n N] [-warmup W] [-warmup-ms MS]");
    return 2;
}

var inv = CultureInfo.InvariantCulture;
string workload = Opt(args, "workload") ?? "";
if (!Micro.DefaultN.TryGetValue(workload, out int n))
{
    return Usage($"unknown -workload '{workload}'");
}

if (Opt(args, "n") is { } nText && int.Parse(nText, inv) > 0)
{
    n = int.Parse(nText, inv);
}

int warmup = int.Parse(Opt(args, "warmup") ?? "10000", inv);
int warmupMs = int.Parse(Opt(args, "warmup-ms") ?? "0", inv);

(double seconds, double? bytesPerOp) = Micro.Run(workload, n, warmup, warmupMs);
string bytes = bytesPerOp is { } b ? b.ToString("R", inv) : "null";
Console.WriteLine(
    $"{{\"workload\":\"{workload}\",\"runtime\":\"geventsharp\",\"n\":{n}," +
    $"\"seconds\":{seconds.ToString("R", inv)}," +
    $"\"ns_per_op\":{(seconds * 1e9 / n).ToString("R", inv)},\"bytes_per_op\":{bytes}}}");
return 0;
