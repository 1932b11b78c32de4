using System.Globalization;
using System.Text;

namespace Report;

/// <summary>The micro sections of the report: time per operation, ratios, memory per blocked coroutine and the scale sweep.</summary>
internal static class MicroTables
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>For an extra row, the headline workload whose other runtimes it is compared with.</summary>
    private static readonly Dictionary<string, string> HeadlineOf = new()
    {
        ["spawn_join_each"] = "spawn_join",
        ["yield_awaiter"] = "yield",
        ["blocked_direct"] = "blocked",
    };

    public static void TimeTable(StringBuilder sb, ResultSet r)
    {
        sb.AppendLine("## Micro workloads: time per operation");
        sb.AppendLine();
        sb.AppendLine("Median of the repetitions (each a fresh process with the same n/10 warm-up pass); the range (min – max) is below " +
                      "each median, and \"noisy k/m\" says that k of the m runs had a busy machine. Lower is better. The headline rows use " +
                      "the calls the README and the seed use; the rows in italics are GeventSharp's other spellings of the same operation, " +
                      "shown beside, never instead of, the headline. What each cell runs: see \"Method\" below.");
        sb.AppendLine();
        sb.Append("| Workload (n) |");
        foreach (string rt in ResultSet.Runtimes)
        {
            sb.Append($" {MarkdownReport.RuntimeNames[rt]} |");
        }

        sb.AppendLine();
        sb.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", ResultSet.Runtimes.Length)));
        foreach (string w in ResultSet.Workloads.Concat(ResultSet.ExtraWorkloads))
        {
            if (w.StartsWith("blocked", StringComparison.Ordinal))
            {
                continue; // in the memory table
            }

            bool extra = HeadlineOf.ContainsKey(w);
            long n = r.Micro.Where(m => m.Workload == w && m.Runtime == "geventsharp" && m.Series is null).Select(m => m.N).FirstOrDefault();
            string name = MarkdownReport.WorkloadNames[w];
            sb.Append(extra ? $"| *{name}* (n = {n.ToString("N0", Inv)}) |" : $"| {name} (n = {n.ToString("N0", Inv)}) |");
            foreach (string rt in ResultSet.Runtimes)
            {
                sb.Append(' ').Append(extra && rt != "geventsharp" ? "" : Cell(r, w, rt)).Append(" |");
            }

            sb.AppendLine();
        }

        sb.AppendLine();
    }

    /// <summary>
    /// The Native AOT builds (run.sh publishes the GeventSharp and .NET micro programs with
    /// -p:Variant=aot): beside the default console-app column, never instead of it. Nothing when
    /// the run has no AOT results.
    /// </summary>
    public static void AotTable(StringBuilder sb, ResultSet r)
    {
        if (!r.Micro.Any(m => m.Runtime.EndsWith("-aot", StringComparison.Ordinal)))
        {
            return;
        }

        string[] columns = ["geventsharp", .. ResultSet.AotRuntimes];
        sb.AppendLine("### The same programs compiled with Native AOT");
        sb.AppendLine();
        sb.AppendLine("The GeventSharp and .NET micro programs published with Native AOT (`-p:Variant=aot`): fully optimized from the first " +
                      "call, with no JIT, no tiered compilation and no dynamic PGO. The first column is the default console-app figure " +
                      "of the table above, which stays the headline; these columns show the code's cost without the JIT's warm-up and " +
                      "without the profile-guided devirtualisation a long-running JIT process gets.");
        sb.AppendLine();
        sb.AppendLine("| Workload (n) |" + string.Concat(columns.Select(rt => $" {MarkdownReport.RuntimeNames[rt]} |")));
        sb.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", columns.Length)));
        foreach (string w in ResultSet.Workloads.Concat(ResultSet.ExtraWorkloads))
        {
            if (w.StartsWith("blocked", StringComparison.Ordinal))
            {
                continue;
            }

            bool extra = HeadlineOf.ContainsKey(w);
            long n = r.Micro.Where(m => m.Workload == w && m.Runtime == "geventsharp-aot" && m.Series is null).Select(m => m.N).FirstOrDefault();
            string name = MarkdownReport.WorkloadNames[w];
            sb.Append(extra ? $"| *{name}* (n = {n.ToString("N0", Inv)}) |" : $"| {name} (n = {n.ToString("N0", Inv)}) |");
            foreach (string rt in columns)
            {
                sb.Append(' ').Append(extra && !rt.StartsWith("geventsharp", StringComparison.Ordinal) ? "" : Cell(r, w, rt)).Append(" |");
            }

            sb.AppendLine();
        }

        sb.AppendLine();
    }

    /// <summary>
    /// The "warm" series (run.sh runs the switch and spawn + join-all again after repeating the n/10
    /// warm-up pass for a second, every runtime alike): the figure of a process that has been
    /// running a while, beside the cold one of the table above. Nothing when the run has none.
    /// </summary>
    public static void WarmTable(StringBuilder sb, ResultSet r)
    {
        string[] workloads = ResultSet.Workloads.Where(w => r.Micro.Any(m => m.Series == "warm" && m.Workload == w)).ToArray();
        if (workloads.Length == 0)
        {
            return;
        }

        string[] columns = ResultSet.Runtimes.Concat(ResultSet.AotRuntimes).Where(rt => r.Micro.Any(m => m.Series == "warm" && m.Runtime == rt)).ToArray();
        sb.AppendLine($"### Warm: after {r.Get("warm_seconds", "1")} s of warm-up");
        sb.AppendLine();
        sb.AppendLine($"The same programs, with the n/10 warm-up pass repeated for {r.Get("warm_seconds", "1")} s in the same process before the timed " +
                      "pass, every runtime alike (`-warm-seconds`): what a process that has been running a while costs. For a .NET " +
                      "program this is after tiered compilation has promoted the hot code (the cold table above runs largely in " +
                      "tier-0 code, see \"`Sleep(0)` in BenchmarkDotNet and in a plain console process\"); Go, gevent and the Native " +
                      "AOT builds have no such warm-up and should be the same as cold.");
        sb.AppendLine();
        sb.AppendLine("| Workload (n) |" + string.Concat(columns.Select(rt => $" {MarkdownReport.RuntimeNames[rt]} |")));
        sb.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", columns.Length)));
        foreach (string w in workloads)
        {
            long n = r.Micro.Where(m => m.Workload == w && m.Series == "warm").Select(m => m.N).FirstOrDefault();
            sb.Append($"| {MarkdownReport.WorkloadNames[w]} (n = {n.ToString("N0", Inv)}) |");
            foreach (string rt in columns)
            {
                sb.Append(' ').Append(Cell(r, w, rt, "warm")).Append(" |");
            }

            sb.AppendLine();
        }

        sb.AppendLine();
    }

    public static void RatioTable(StringBuilder sb, ResultSet r)
    {
        sb.AppendLine("## GeventSharp's ratio to each runtime");
        sb.AppendLine();
        sb.AppendLine("Time per operation of the other runtime divided by GeventSharp's (medians): above 1× GeventSharp is faster, below 1× it is slower.");
        sb.AppendLine();
        string[] others = ResultSet.Runtimes.Where(rt => rt != "geventsharp").ToArray();
        sb.AppendLine("| Workload |" + string.Concat(others.Select(rt => $" vs {MarkdownReport.RuntimeNames[rt]} |")));
        sb.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", others.Length)));
        foreach (string w in ResultSet.Workloads.Concat(ResultSet.ExtraWorkloads))
        {
            string baseline = HeadlineOf.GetValueOrDefault(w, w);
            double? gs = r.MedianNs(w, "geventsharp");
            string name = MarkdownReport.WorkloadNames[w] + (w.StartsWith("blocked", StringComparison.Ordinal) ? " (time to park)" : "");
            sb.Append(HeadlineOf.ContainsKey(w) ? $"| *{name}* |" : $"| {name} |");
            foreach (string rt in others)
            {
                double? other = r.MedianNs(baseline, rt);
                sb.Append(' ').Append(gs is not null && other is not null ? Stats.Ratio(other / gs) : "–").Append(" |");
            }

            sb.AppendLine();
        }

        sb.AppendLine();
    }

    public static void MemoryTable(StringBuilder sb, ResultSet r)
    {
        sb.AppendLine("### Memory per blocked coroutine");
        sb.AppendLine();
        sb.AppendLine("n coroutines parked at once on one gate, each with an ordinary body (GeventSharp: `async () => { await gate.JoinAsync(); }`; " +
                      "Go: a goroutine receiving from a channel; gevent: `Event.wait()`; .NET: an `async` method awaiting a `TaskCompletionSource`). " +
                      "Bytes are the growth of the process's resident set size (`/proc/self/statm`, after a full collection) divided by n, " +
                      "the same meter for every runtime; the runtime's own meter is beside it (Go: stacks + heap in use; .NET: managed heap). " +
                      "No warm-up in any runtime: each run is a fresh process. The row in italics is GeventSharp's single-wait body " +
                      "`() => gate.JoinAsync()`, which has no async state machine.");
        sb.AppendLine();
        sb.AppendLine("| Runtime | n | Time until all are parked | RSS per parked coroutine | Runtime's own meter | GeventSharp's RSS as a share of it |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|");
        double? gsB = r.MedianBytes("blocked", "geventsharp");
        foreach (string rt in ResultSet.Runtimes)
        {
            MemoryRow(sb, r, "blocked", rt, MarkdownReport.RuntimeNames[rt], rt == "geventsharp" ? null : gsB);
        }

        MemoryRow(sb, r, "blocked_direct", "geventsharp", "*GeventSharp, `() => gate.JoinAsync()`*", null);
        sb.AppendLine();
        sb.AppendLine("gevent parks fewer greenlets by default (100,000) because a million take about a minute and gigabytes; its bytes " +
                      "per greenlet do not depend on n.");
        sb.AppendLine();
    }

    private static void MemoryRow(StringBuilder sb, ResultSet r, string w, string rt, string name, double? gsB)
    {
        IReadOnlyList<MicroRun> runs = r.Runs(w, rt);
        if (runs.Count == 0)
        {
            sb.AppendLine($"| {name} | – | – | – | – | |");
            return;
        }

        double? b = r.MedianBytes(w, rt);
        string share = gsB is not null && b is > 0 ? $"{(100 * gsB / b)!.Value.ToString("0", Inv)}%" : "";
        sb.AppendLine($"| {name} | {runs[0].N.ToString("N0", Inv)} | {Stats.F(r.MedianSeconds(w, rt), "0.000")} s{Noisy(runs)} | " +
                      $"{Stats.Bytes(b)} | {Stats.Bytes(r.MedianHeapBytes(w, rt))} | {share} |");
    }

    /// <summary>Item 5 of issue 14: GeventSharp's cost per operation at n = 10³ … 10⁶ (run.sh's scale sweep).</summary>
    public static void ScaleTable(StringBuilder sb, ResultSet r)
    {
        sb.AppendLine("## Cost as work grows (GeventSharp)");
        sb.AppendLine();
        long[] sizes = r.Micro.Where(m => m.Series == "scale").Select(m => m.N).Distinct().Order().ToArray();
        if (sizes.Length == 0)
        {
            sb.AppendLine("Not run here (`run.sh --no-scale`).");
            sb.AppendLine();
            return;
        }

        sb.AppendLine("Time per operation while n greenlets, timers or waiters are alive at once (median of the repetitions, a fresh " +
                      "process each). Flat is the goal; the last column is the cost at the largest n over the cost at the smallest. " +
                      "Rows: `switch_many` — n greenlets switching round-robin with `Sleep(0)` (about two million switches at every n); " +
                      "`spawn_join` — spawn n, one `JoinAllAsync`; `timer` — n `Timeout.StartNew` armed at once (deadlines 60–61 s, " +
                      "scrambled), then all cancelled, per arm + cancel; `event_fanout` — n waiters parked on one `Event`, per waiter woken.");
        sb.AppendLine();
        sb.AppendLine("| Workload |" + string.Concat(sizes.Select(n => $" n = {n.ToString("N0", Inv)} |")) + " growth |");
        sb.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", sizes.Length + 1)));
        foreach (string w in ResultSet.ScaleWorkloads)
        {
            sb.Append($"| {MarkdownReport.ScaleNames[w]} |");
            double? first = null, last = null;
            foreach (long n in sizes)
            {
                IReadOnlyList<MicroRun> runs = r.ScaleRuns(w, n);
                double? med = Stats.Median(runs.Select(x => x.NsPerOp!.Value));
                first ??= med;
                last = med ?? last;
                sb.Append(' ').Append(Stats.Ns(med)).Append(Noisy(runs)).Append(" |");
            }

            sb.AppendLine($" {(first is > 0 && last is not null ? Stats.Ratio(last / first) : "–")} |");
        }

        sb.AppendLine();
    }

    private static string Cell(ResultSet r, string w, string rt, string? series = null)
    {
        IReadOnlyList<MicroRun> runs = r.Runs(w, rt, series);
        if (runs.Count == 0)
        {
            MicroRun? s = r.SkippedRun(w, rt, series);
            return s is null ? "–" : s.Skipped ? "skipped" : "failed";
        }

        double min = runs.Min(x => x.NsPerOp!.Value), max = runs.Max(x => x.NsPerOp!.Value);
        string range = runs.Count > 1 ? $"<br><sub>{Stats.Ns(min)} – {Stats.Ns(max)}</sub>" : "";
        return $"**{Stats.Ns(r.MedianNs(w, rt, series))}**{range}{Noisy(runs)}";
    }

    /// <summary>" <sub>noisy k/m</sub>" when k of the m runs were on a busy machine, else nothing.</summary>
    public static string Noisy(IReadOnlyCollection<MicroRun> runs)
    {
        int k = runs.Count(x => x.Noisy);
        return k == 0 ? "" : $"<br><sub>noisy {k}/{runs.Count}</sub>";
    }
}
