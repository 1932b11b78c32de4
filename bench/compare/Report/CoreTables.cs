using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Report;

/// <summary>The "Core figures (BenchmarkDotNet)" section: bench/GeventSharp.Benchmarks and its blocked-phase report.</summary>
internal static class CoreTables
{
    public static void Render(StringBuilder sb, ResultSet r)
    {
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine("## Core figures (BenchmarkDotNet)");
        sb.AppendLine();
        if (r.Core.Count == 0 && r.BlockedPhases.Count == 0)
        {
            sb.AppendLine("No BenchmarkDotNet results in this run (run.sh without `--no-bdn` runs `bench/GeventSharp.Benchmarks`).");
        }
        else
        {
            sb.AppendLine($"From `bench/GeventSharp.Benchmarks` ({r.BdnHost ?? "BenchmarkDotNet"}; 3 warm-up and 7 measured iterations; " +
                          "median per operation; allocated bytes per operation from the memory diagnoser). Targets from issues 2 (core) and 3 (primitives). " +
                          "Run them alone with `dotnet run -c Release --project bench/GeventSharp.Benchmarks -- --filter '*'` " +
                          "(`--list flat` lists them; `-- blocked [n] [reps]` prints the blocked-phase figures).");
            sb.AppendLine();
            sb.AppendLine("| Benchmark | Time per op | Allocated per op | Target |");
            sb.AppendLine("|---|---:|---:|---|");
            foreach (CoreFigure c in r.Core.OrderBy(c => CoreOrder(c.Name)).ThenBy(c => c.Name, StringComparer.Ordinal))
            {
                sb.AppendLine($"| `{c.Name}` | {Stats.Ns(c.NsPerOp)} | {Stats.Bytes(c.BytesPerOp)} | {CoreTarget(c)} |");
            }

            if (r.BlockedPhases.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine("One million greenlets blocked at once on one gate (`GeventSharp.Benchmarks -- blocked`, median of fresh runs): " +
                              "time from the first spawn until all are blocked, bytes allocated meanwhile, managed heap retained while they are blocked.");
                sb.AppendLine();
                sb.AppendLine("| Greenlet body | n | Spawned and blocked in | Allocated per greenlet | Retained per blocked greenlet | Target |");
                sb.AppendLine("|---|---:|---:|---:|---:|---|");
                foreach (JsonElement e in r.BlockedPhases)
                {
                    string kind = e.GetProperty("benchmark").GetString()!;
                    string body = kind.Contains("direct", StringComparison.Ordinal) ? "`() => gate.JoinAsync()`" : "`async () => { await gate.JoinAsync(); }`";
                    double secs = e.GetProperty("seconds_to_blocked").GetDouble();
                    double retained = e.GetProperty("retained_bytes_per_greenlet").GetDouble();
                    string target = $"≤ 0.5 s {(secs <= 0.5 ? "met" : "**missed**")}; ≤ 250 B {(retained <= 250 ? "met" : "**missed**")}";
                    if (!kind.Contains("direct", StringComparison.Ordinal) && retained > 250)
                    {
                        target += " (the lambda's own async state machine, about 120 B, comes on top of the greenlet: see the direct body's row)";
                    }

                    sb.AppendLine($"| {body} | {e.GetProperty("n").GetInt64().ToString("N0", inv)} | {secs.ToString("0.000", inv)} s | " +
                                  $"{e.GetProperty("allocated_bytes_per_greenlet").GetDouble().ToString("0", inv)} B | {retained.ToString("0", inv)} B | {target} |");
                }
            }
        }
    }

    private static string CoreTarget(CoreFigure c) => c.Name switch
    {
        "SwitchBenchmarks.SleepZeroSwitch" => $"≤ 40 ns and 0 B: {MarkdownReport.Met(c.NsPerOp <= 40 && (c.BytesPerOp ?? 0) == 0)}",
        "SpawnJoinBenchmarks.SpawnJoinEach" => $"≤ 150 ns: {MarkdownReport.Met(c.NsPerOp <= 150)}",
        "PrimitiveBenchmarks.EventPingPong" or "PrimitiveBenchmarks.ChannelPingPong" =>
            $"≤ 150 ns per round trip and 0 B: {MarkdownReport.Met(c.NsPerOp <= 150 && (c.BytesPerOp ?? 0) == 0)}",
        "PrimitiveBenchmarks.SemaphoreUncontendedAcquireRelease" => $"≤ 20 ns: {MarkdownReport.Met(c.NsPerOp <= 20)}",
        "PrimitiveBenchmarks.EventFanOut10000" =>
            $"≤ 100 ns per waiter: {MarkdownReport.Met(c.NsPerOp <= 100)}; the bytes are the 10,000 waiters' spawn, spread over 20 rounds (a wake allocates nothing)",
        "BlockedBenchmarks.Blocked_DirectValueTask" or "BlockedBenchmarks.Blocked_AsyncLambda" =>
            "whole life of one of 1M greenlets (spawn, block, wake, die); blocked-phase figures below",
        "TimerBenchmarks.TimeoutStartNewCancel" => "no target; `Timeout.StartNew(10).Cancel()`",
        "TimerBenchmarks.TimeoutReusedStartCancel" => "no target; one `Timeout` started and cancelled again",
        "SpawnJoinBenchmarks.SpawnJoinEach_TaskBody" => "no target; `Func<Task>` body",
        "SpawnJoinBenchmarks.SpawnJoinAll" => "no target; `Gevent.JoinAllAsync` (links a callback per greenlet)",
        _ => "",
    };

    private static int CoreOrder(string name) => name switch
    {
        _ when name.StartsWith("Switch", StringComparison.Ordinal) => 0,
        _ when name.StartsWith("SpawnJoin", StringComparison.Ordinal) => 1,
        _ when name.StartsWith("Timer", StringComparison.Ordinal) => 2,
        _ => 3,
    };
}
