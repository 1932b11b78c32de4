using System.Globalization;
using System.Text;

namespace Report;

/// <summary>The echo and HTTP sections of the report, and the network goals of issue 14 (ratios to the C server).</summary>
internal static class LoadTables
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The C reference servers (echo: c/echo_epoll; HTTP: c/http_epoll) are named "c" by echo.sh and http.sh.</summary>
    public const string C = "c";

    public static string ServerName(string server, ResultSet r) => server switch
    {
        "geventsharp" => "GeventSharp, 1 hub",
        "geventsharp-nhubs" => $"GeventSharp, {r.Get("nproc", "N")} hubs (one per core)",
        "go" => "Go",
        "kestrel" => "Kestrel",
        "gevent" => "gevent",
        "dotnet" => ".NET async sockets (thread pool)",
        C => "C epoll (reference)",
        _ => server,
    };

    /// <summary>Per server and connection count: medians over the rounds, CPU per request and the ratios to the C server.</summary>
    public static void Table(StringBuilder sb, ResultSet r, IReadOnlyList<LoadRun> runs)
    {
        sb.AppendLine("| Server | Connections | Requests/s | p50 | p99 | Server CPU per request | × C's CPU per request | Req/s as % of C's | Server cores used | Load generator CPU per request | Errors | Noisy runs |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var g in runs.GroupBy(e => (e.Server, e.Conns)).OrderBy(g => g.Key.Conns).ThenBy(g => Median(g, e => e.ServerCpuUsPerReq) ?? double.MaxValue))
        {
            double? rps = Stats.Median(g.Select(e => e.Rps));
            double? cpu = Median(g, e => e.ServerCpuUsPerReq);
            double? cRps = MedianOf(runs, C, g.Key.Conns, e => e.Rps);
            double? cCpu = MedianOf(runs, C, g.Key.Conns, e => e.ServerCpuUsPerReq);
            string cpuRatio = g.Key.Server != C && cpu is not null && cCpu is > 0 ? Stats.Ratio(cpu / cCpu) : "";
            string rpsShare = g.Key.Server != C && rps is not null && cRps is > 0 ? $"{(100 * rps / cRps)!.Value.ToString("0", Inv)}%" : "";
            int noisy = g.Count(e => e.Noisy);
            sb.AppendLine($"| {ServerName(g.Key.Server, r)} | {g.Key.Conns.ToString("N0", Inv)} | {Stats.F(rps, "N0")} | " +
                          $"{Latency(Median(g, e => e.P50Us))} | {Latency(Median(g, e => e.P99Us))} | " +
                          $"{Us(cpu)} | {cpuRatio} | {rpsShare} | {Stats.F(Median(g, e => e.ServerCores), "0.00")} | " +
                          $"{Us(Median(g, e => e.ClientCpuUsPerReq))} | {g.Sum(e => e.Errors)} | {(noisy == 0 ? "0" : $"**{noisy}**")} of {g.Count()} |");
        }
    }

    /// <summary>
    /// The goal rows of issue 14 item 2 for one GeventSharp server: HTTP CPU per request ≤ 1.2× C's and
    /// req/s ≥ 90% of C's, echo CPU per request ≤ C's, at 50 and 1,000 connections.
    /// </summary>
    public static void GoalRows(StringBuilder sb, ResultSet r)
    {
        foreach (string gs in new[] { "geventsharp", "geventsharp-nhubs" })
        {
            foreach (int conns in new[] { 50, 1000 })
            {
                string who = $"{ServerName(gs, r)}, {conns.ToString("N0", Inv)} connections";
                CpuGoal(sb, r.Http, gs, conns, 1.2, $"HTTP CPU per request ≤ 1.2× the C server's — {who}");
                RpsGoal(sb, r.Http, gs, conns, 0.9, $"HTTP requests/s ≥ 90% of the C server's — {who}");
                CpuGoal(sb, r.Echo, gs, conns, 1.0, $"Echo CPU per request ≤ the C server's — {who}");
            }
        }
    }

    private static void CpuGoal(StringBuilder sb, IReadOnlyList<LoadRun> runs, string server, int conns, double factor, string title)
    {
        double? ours = MedianOf(runs, server, conns, e => e.ServerCpuUsPerReq), c = MedianOf(runs, C, conns, e => e.ServerCpuUsPerReq);
        string measured = ours is not null && c is > 0 ? $"{Us(ours)} vs {Us(c)} = {Stats.Ratio(ours / c)}" : "not measured";
        sb.AppendLine($"| {title} | {measured}{NoisyNote(runs, server, conns)} | {MarkdownReport.Met(ours is not null && c is > 0 ? ours <= factor * c : null)} |");
    }

    private static void RpsGoal(StringBuilder sb, IReadOnlyList<LoadRun> runs, string server, int conns, double share, string title)
    {
        double? ours = MedianOf(runs, server, conns, e => e.Rps), c = MedianOf(runs, C, conns, e => e.Rps);
        string measured = ours is not null && c is > 0
            ? $"{ours.Value.ToString("N0", Inv)} vs {c.Value.ToString("N0", Inv)} req/s = {(100 * ours / c)!.Value.ToString("0", Inv)}%"
            : "not measured";
        sb.AppendLine($"| {title} | {measured}{NoisyNote(runs, server, conns)} | {MarkdownReport.Met(ours is not null && c is > 0 ? ours >= share * c : null)} |");
    }

    private static string NoisyNote(IReadOnlyList<LoadRun> runs, string server, int conns)
    {
        int noisy = runs.Count(e => (e.Server == server || e.Server == C) && e.Conns == conns && e.Noisy);
        return noisy == 0 ? "" : $" (**noisy**: {noisy} of the runs compared)";
    }

    internal static double? MedianOf(IEnumerable<LoadRun> runs, string server, int conns, Func<LoadRun, double?> field)
        => Median(runs.Where(e => e.Server == server && e.Conns == conns), field);

    private static double? Median(IEnumerable<LoadRun> runs, Func<LoadRun, double?> field)
        => Stats.Median(runs.Select(field).Where(v => v is not null).Select(v => v!.Value));

    private static string Latency(double? us) => us switch
    {
        null => "–",
        >= 1000 => (us.Value / 1000).ToString(us >= 100_000 ? "0" : "0.0", Inv) + " ms",
        _ => us.Value.ToString("0", Inv) + " µs",
    };

    private static string Us(double? us) => us is { } v ? v.ToString(v >= 100 ? "0" : "0.00", Inv) + " µs" : "–";
}
