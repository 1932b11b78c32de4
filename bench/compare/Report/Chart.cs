using ScottPlot;

namespace Report;

/// <summary>
/// The chart in docs/benchmarks.png: time per operation of every headline workload and runtime (log
/// scale, one group of bars per workload) above memory per blocked coroutine (RSS), above requests per
/// second and server CPU per request of the network workloads (linear scale, one group of bars per
/// workload and connection count: TCP echo, then HTTP plaintext). The network panels are left out,
/// and the image is shorter, when the results hold no echo or HTTP runs.
/// </summary>
internal static class Chart
{
    private static readonly Dictionary<string, Color> Colors = new()
    {
        ["geventsharp"] = Color.FromHex("#6A1B9A"),
        ["go-p1"] = Color.FromHex("#80D6EC"),
        ["go-p2"] = Color.FromHex("#00ADD8"),
        ["go"] = Color.FromHex("#00ADD8"),
        ["gevent"] = Color.FromHex("#F2A900"),
        ["dotnet-async"] = Color.FromHex("#BDBDBD"),
        ["dotnet-tpl"] = Color.FromHex("#757575"),
        ["dotnet"] = Color.FromHex("#757575"),
        ["geventsharp-nhubs"] = Color.FromHex("#BA68C8"),
        ["kestrel"] = Color.FromHex("#43A047"),
        ["c"] = Color.FromHex("#455A64"),
    };

    /// <summary>Servers of the network panel in bar order (echo.sh and http.sh name them so), with their legend names.</summary>
    private static readonly (string Server, string Name)[] Servers =
    [
        ("geventsharp", "GeventSharp, 1 hub"),
        ("geventsharp-nhubs", "GeventSharp, a hub per core"),
        ("go", "Go"),
        ("kestrel", "Kestrel"),
        ("dotnet", ".NET sockets (echo only)"),
        ("gevent", "gevent"),
        ("c", "C epoll (reference)"),
    ];

    /// <summary>Rows of the layout grid, each 50 px high: the first two panels keep the 700 + 350 px they had alone.</summary>
    private const int TimeRows = 14, MemoryRows = 7, NetworkRows = 10, RowHeight = 50;

    public static void Save(ResultSet r, string path)
    {
        Plot time = TimePlot(r);
        Plot memory = MemoryPlot(r);
        bool hasNetwork = r.Echo.Count + r.Http.Count > 0;
        Plot? network = hasNetwork
            ? NetworkPlot(r, e => e.Rps, "Requests per second (median over rounds, linear scale; higher is better)", "requests per second", Stats.KiloRps, y => Stats.Kilo(y))
            : null;
        Plot? cpu = hasNetwork
            ? NetworkPlot(r, e => e.ServerCpuUsPerReq ?? 0, "Server CPU per request (user + system, median; lower is better)", "µs of server CPU per request",
                v => v.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "\nµs", y => y.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture))
            : null;
        int rows = TimeRows + MemoryRows + (network is null ? 0 : 2 * NetworkRows);
        var multi = new Multiplot();
        multi.AddPlot(time);
        multi.AddPlot(memory);
        multi.Layout = new ScottPlot.MultiplotLayouts.CustomGrid();
        var grid = (ScottPlot.MultiplotLayouts.CustomGrid)multi.Layout;
        grid.Set(time, new GridCell(0, 0, rows, 1, rowSpan: TimeRows));
        grid.Set(memory, new GridCell(TimeRows, 0, rows, 1, rowSpan: MemoryRows));
        if (network is not null && cpu is not null)
        {
            multi.AddPlot(network);
            grid.Set(network, new GridCell(TimeRows + MemoryRows, 0, rows, 1, rowSpan: NetworkRows));
            multi.AddPlot(cpu);
            grid.Set(cpu, new GridCell(TimeRows + MemoryRows + NetworkRows, 0, rows, 1, rowSpan: NetworkRows));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        multi.SavePng(path, 1200, rows * RowHeight);
    }

    private static Plot TimePlot(ResultSet r)
    {
        var plot = new Plot();
        string[] runtimes = ResultSet.Runtimes;
        var bars = new List<Bar>();
        var tickPositions = new List<double>();
        var tickLabels = new List<string>();
        double floor = 0; // log10(1 ns)
        for (int w = 0; w < ResultSet.Workloads.Length; w++)
        {
            string workload = ResultSet.Workloads[w];
            double groupStart = w * (runtimes.Length + 1);
            for (int i = 0; i < runtimes.Length; i++)
            {
                double? ns = r.MedianNs(workload, runtimes[i]);
                if (ns is not { } v || v <= 0)
                {
                    if (r.SkippedRun(workload, runtimes[i]) is { } missing)
                    {
                        var note = plot.Add.Text(missing.Skipped ? "not measured: pending primitive" : "failed", groupStart + i, floor + 0.1);
                        note.LabelFontSize = 11;
                        note.LabelRotation = -90;
                        note.LabelAlignment = Alignment.MiddleLeft;
                        note.LabelFontColor = Colors[runtimes[i]];
                    }

                    continue;
                }

                bars.Add(new Bar
                {
                    Position = groupStart + i,
                    ValueBase = floor,
                    Value = Math.Log10(v),
                    FillColor = Colors[runtimes[i]],
                    LineWidth = 0,
                    Label = Stats.Ns(v),
                });
            }

            tickPositions.Add(groupStart + ((runtimes.Length - 1) / 2.0));
            tickLabels.Add(MarkdownReport.WorkloadNames[workload].Replace("`", "", StringComparison.Ordinal).Replace(", ", "\n", StringComparison.Ordinal));
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 11;
        plot.Axes.Bottom.SetTicks(tickPositions.ToArray(), tickLabels.ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;

        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Stats.Ns(Math.Pow(10, y)),
        };
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        double top = bars.Count > 0 ? bars.Max(b => b.Value) + 0.9 : 3;
        plot.Axes.SetLimitsY(floor, top);
        plot.Axes.SetLimitsX(-1, (ResultSet.Workloads.Length * (runtimes.Length + 1)) - 1);
        string machine = $"{r.Get("nproc")}-CPU {r.Get("cpu_model")}, {r.Get("date")} UTC";
        plot.Title($"Time per operation (median, log scale; lower is better) — {machine}", 15);
        plot.YLabel("time per operation", 14);
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;
        foreach (string rt in runtimes)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = MarkdownReport.RuntimeNames[rt], FillColor = Colors[rt] });
        }

        plot.Legend.FontSize = 13;
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    private static Plot MemoryPlot(ResultSet r)
    {
        var plot = new Plot();
        var bars = new List<Bar>();
        var positions = new List<double>();
        var labels = new List<string>();
        int p = 0;
        foreach (string rt in ResultSet.Runtimes)
        {
            double? b = r.MedianBytes("blocked", rt);
            if (b is not { } v)
            {
                continue;
            }

            bars.Add(new Bar { Position = p, Value = v, FillColor = Colors[rt], LineWidth = 0, Label = Stats.Bytes(v) });
            positions.Add(p);
            long n = r.Runs("blocked", rt).Select(x => x.N).FirstOrDefault();
            labels.Add($"{MarkdownReport.RuntimeNames[rt]}\n(n = {n:N0})");
            p++;
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        barPlot.ValueLabelStyle.FontSize = 13;
        plot.Axes.Left.SetTicks(positions.ToArray(), labels.ToArray());
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        double max = bars.Count > 0 ? bars.Max(b => b.Value) : 1;
        plot.Axes.SetLimitsX(0, max * 1.15);
        plot.Axes.SetLimitsY(-0.6, Math.Max(p, 1) - 0.4);
        plot.Title("Memory per blocked coroutine (median; lower is better)", 16);
        plot.XLabel("bytes of resident set size per parked coroutine, ordinary async body (every runtime measured the same way)", 13);
        plot.Grid.YAxisStyle.MajorLineStyle.Width = 0;
        return plot;
    }

    /// <summary>
    /// One median figure (<paramref name="value"/>: requests per second, or server CPU per request) of every
    /// server, one group of bars per workload and connection count (echo first, then HTTP, fewer
    /// connections first); a group has a bar for each server that ran it.
    /// </summary>
    private static Plot NetworkPlot(ResultSet r, Func<LoadRun, double> value, string title0, string yLabel, Func<double, string> barLabel, Func<double, string> tickLabel)
    {
        var plot = new Plot();
        var groups = new List<(string Title, int Conns, List<(string Server, double Rps)> Bars)>();
        foreach (var (title, runs) in new[]
                 {
                     ("TCP echo", r.Echo.Select(e => (e.Server, e.Conns, Rps: value(e)))),
                     ("HTTP plaintext", r.Http.Select(e => (e.Server, e.Conns, Rps: value(e)))),
                 })
        {
            foreach (var byConns in runs.GroupBy(e => e.Conns).OrderBy(g => g.Key))
            {
                var medians = byConns.GroupBy(e => e.Server)
                    .OrderBy(g => Order(g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => (g.Key, Stats.Median(g.Select(e => e.Rps)) ?? 0))
                    .ToList();
                groups.Add((title, byConns.Key, medians));
            }
        }

        var bars = new List<Bar>();
        var tickPositions = new List<double>();
        var tickLabels = new List<string>();
        var shown = new HashSet<string>();
        double position = 0;
        string? previous = null;
        foreach (var (title, conns, medians) in groups)
        {
            if (previous is not null)
            {
                // One empty slot between groups, two between the echo and the HTTP groups.
                position += title == previous ? 1 : 2;
            }

            previous = title;
            tickPositions.Add(position + ((medians.Count - 1) / 2.0));
            tickLabels.Add($"{title}\n{conns:N0} connections");
            foreach (var (server, rps) in medians)
            {
                bars.Add(new Bar
                {
                    Position = position,
                    Value = rps,
                    FillColor = ColorOf(server),
                    LineWidth = 0,
                    Label = barLabel(rps),
                });
                shown.Add(server);
                position++;
            }
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 11;
        plot.Axes.Bottom.SetTicks(tickPositions.ToArray(), tickLabels.ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;

        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = tickLabel,
        };
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        double max = bars.Count > 0 ? bars.Max(b => b.Value) : 1;
        plot.Axes.SetLimitsY(0, Math.Max(max, 1) * 1.15);
        plot.Axes.SetLimitsX(-1, position);
        plot.Title(title0, 15);
        plot.YLabel(yLabel, 14);
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;
        foreach (var (server, name) in Servers.Where(s => shown.Contains(s.Server)))
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = name, FillColor = ColorOf(server) });
        }

        foreach (string server in shown.Where(s => Order(s) == Servers.Length).Order(StringComparer.Ordinal))
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = server, FillColor = ColorOf(server) });
        }

        plot.Legend.FontSize = 13;
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    /// <summary>Index of <paramref name="server"/> in <see cref="Servers"/>; servers not listed there come last.</summary>
    private static int Order(string server)
    {
        int i = Array.FindIndex(Servers, s => s.Server == server);
        return i < 0 ? Servers.Length : i;
    }

    private static Color ColorOf(string server) => Colors.TryGetValue(server, out Color c) ? c : Color.FromHex("#BDBDBD");
}
