// GeventSharpMicro: the bench/compare micro workloads on GeventSharp.
//
//   GeventSharpMicro -workload NAME [-n N] [-warmup W] [-warm-seconds S]
//
// Prints one JSON line in the format of go/micro, python/micro.py and AsyncBaseline
// (see ../README.md), with "runtime":"geventsharp". Everything runs on one hub (one thread).
// Before the timed run an untimed warm-up pass of W operations runs in the same process; the
// default, as in every program of the harness, is n/10 (0 disables it; "blocked" has none).
// -warm-seconds S repeats that warm-up pass until S seconds have gone by (the harness's "warm"
// series, the same for every runtime); "warmup" in the output is the operations warmed in all.
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
    Console.Error.WriteLine($"usage: GeventSharpMicro -workload {string.Join('|', Micro.DefaultN.Keys)} [-n N] [-warmup W] [-warm-seconds S]");
    return 2;
}

static string Num(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "null";

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

bool blocked = workload.StartsWith("blocked", StringComparison.Ordinal);
int warmup = blocked ? 0 : Opt(args, "warmup") is { } w ? int.Parse(w, inv) : n / 10;

double warmSeconds = Opt(args, "warm-seconds") is { } ws ? double.Parse(ws, inv) : 0;

double? cpuBefore = ThreadCpu.Seconds();
Measured m = Micro.Run(workload, n, warmup, warmSeconds, out long warmed);
double? cpuAfter = ThreadCpu.Seconds();

// The hub thread's CPU time over the warm-up and the timed pass, per operation of both: a figure
// that a loaded machine disturbs far less than the wall-clock ns_per_op (which stays the headline).
double? cpuPerOp = cpuBefore is { } cb && cpuAfter is { } ca ? (ca - cb) * 1e9 / (m.Ops + warmed) : null;
Console.WriteLine(
    $"{{\"workload\":\"{workload}\",\"runtime\":\"geventsharp\",\"n\":{n},\"ops\":{m.Ops},\"warmup\":{warmed}," +
    $"\"seconds\":{Num(m.Seconds)},\"ns_per_op\":{Num(m.Seconds * 1e9 / m.Ops)}," +
    $"\"bytes_per_op\":{Num(m.RssBytesPerOp)},\"heap_bytes_per_op\":{Num(m.HeapBytesPerOp)},\"thread_cpu_ns_per_op\":{Num(cpuPerOp)}}}");
return 0;
