using System.Globalization;
using System.Text.Json;

namespace Report;

/// <summary>
/// One micro run: a JSON line of a micro program, with run.sh's annotations. <see cref="BytesPerOp"/>
/// is RSS growth per blocked coroutine, <see cref="HeapBytesPerOp"/> the runtime's own meter (Go:
/// stacks + heap in use; .NET: managed heap); <see cref="Series"/> is "scale" for the sweep's runs.
/// </summary>
internal sealed record MicroRun(
    string Workload, string Runtime, long N, double? Seconds, double? NsPerOp, double? BytesPerOp,
    bool Skipped, string? Error, string? Reason, double? BgBusyPct, double? LoadAvg1, double? QuietWaitS)
{
    public double? HeapBytesPerOp { get; init; }

    public double? OthersPct { get; init; }

    public bool Noisy { get; init; }

    public string? Series { get; init; }
}

/// <summary>
/// One load run against a server: an echo run (echo.sh) or an HTTP run (http.sh), with the server's
/// and the load generator's CPU time per request when they were measured.
/// </summary>
internal sealed record LoadRun(string Server, int Conns, double Rps, double? P50Us, double? P99Us, long Errors)
{
    public double? ServerCpuUsPerReq { get; init; }

    public double? ClientCpuUsPerReq { get; init; }

    public double? ServerCores { get; init; }

    public double? OthersPct { get; init; }

    public bool Noisy { get; init; }
}

/// <summary>One BenchmarkDotNet benchmark, or one line of the "blocked" phase report.</summary>
internal sealed record CoreFigure(string Name, double? NsPerOp, double? BytesPerOp, string Note);

/// <summary>Everything one harness run produced.</summary>
internal sealed class ResultSet
{
    public static readonly string[] Runtimes = ["geventsharp", "go-p1", "go-p2", "gevent", "dotnet-async", "dotnet-tpl"];

    /// <summary>The Native AOT builds of the .NET micro programs (run.sh, unless --no-aot): a table of their own.</summary>
    public static readonly string[] AotRuntimes = ["geventsharp-aot", "dotnet-async-aot", "dotnet-tpl-aot"];

    /// <summary>The headline workloads, measured on every runtime.</summary>
    public static readonly string[] Workloads = ["spawn_join", "yield", "channel_pingpong", "event_fanout", "blocked"];

    /// <summary>GeventSharp's other spellings of a headline operation (extra rows, never the headline).</summary>
    public static readonly string[] ExtraWorkloads = ["spawn_join_each", "yield_awaiter", "blocked_direct"];

    /// <summary>The workloads of the scale sweep (run.sh, GeventSharp only, n = 10³ … 10⁶).</summary>
    public static readonly string[] ScaleWorkloads = ["switch_many", "spawn_join", "timer", "event_fanout"];

    public Dictionary<string, string> Meta { get; } = new();

    public List<MicroRun> Micro { get; } = new();

    public List<LoadRun> Echo { get; } = new();

    public List<LoadRun> Http { get; } = new();

    public List<CoreFigure> Core { get; } = new();

    public List<JsonElement> BlockedPhases { get; } = new();

    public string? BdnHost { get; set; }

    public static ResultSet Load(string path)
    {
        var set = new ResultSet();
        foreach (string raw in File.ReadLines(path))
        {
            string line = raw.Trim();
            if (!line.StartsWith('{'))
            {
                continue;
            }

            JsonElement e;
            try
            {
                e = JsonDocument.Parse(line).RootElement;
            }
            catch (JsonException)
            {
                continue;
            }

            if (e.TryGetProperty("meta", out JsonElement meta))
            {
                foreach (JsonProperty p in meta.EnumerateObject())
                {
                    set.Meta[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                }
            }
            else if (e.TryGetProperty("workload", out JsonElement w) && e.TryGetProperty("runtime", out JsonElement r))
            {
                set.Micro.Add(new MicroRun(
                    w.GetString()!, r.GetString()!, Long(e, "n") ?? 0, Num(e, "seconds"), Num(e, "ns_per_op"), Num(e, "bytes_per_op"),
                    True(e, "skipped"), Str(e, "error"), Str(e, "reason"), Num(e, "bg_busy_pct"), Num(e, "loadavg1"), Num(e, "quiet_wait_s"))
                {
                    HeapBytesPerOp = Num(e, "heap_bytes_per_op"),
                    OthersPct = Num(e, "others_pct"),
                    Noisy = True(e, "noisy"),
                    Series = Str(e, "series"),
                });
            }
            else if (e.TryGetProperty("benchmark", out JsonElement b) && b.GetString()!.StartsWith("blocked_", StringComparison.Ordinal))
            {
                set.BlockedPhases.Add(e.Clone());
            }
            else if (e.TryGetProperty("http_server", out _) && e.TryGetProperty("conns", out _))
            {
                set.Http.Add(Load(e, Str(e, "http_server") ?? "?"));
            }
            else if (e.TryGetProperty("conns", out _) && e.TryGetProperty("rps", out _))
            {
                set.Echo.Add(Load(e, Str(e, "server") ?? Str(e, "runtime") ?? "?"));
            }
        }

        return set;
    }

    private static LoadRun Load(JsonElement e, string server)
        => new(server, (int)(Long(e, "conns") ?? 0), Num(e, "rps") ?? 0, Num(e, "p50_us"), Num(e, "p99_us"), Long(e, "errors") ?? 0)
        {
            ServerCpuUsPerReq = Num(e, "server_cpu_us_per_req"),
            ClientCpuUsPerReq = Num(e, "client_cpu_us_per_req"),
            ServerCores = Num(e, "server_cores"),
            OthersPct = Num(e, "others_pct"),
            Noisy = True(e, "noisy"),
        };

    /// <summary>Reads every BenchmarkDotNet *-report-full.json under <paramref name="dir"/>.</summary>
    public void LoadBenchmarkDotNet(string dir)
    {
        if (!Directory.Exists(dir))
        {
            return;
        }

        foreach (string file in Directory.EnumerateFiles(dir, "*-report-full.json", SearchOption.AllDirectories).Order())
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file));
            JsonElement root = doc.RootElement;
            if (root.TryGetProperty("HostEnvironmentInfo", out JsonElement host))
            {
                BdnHost = $"BenchmarkDotNet {Str(host, "BenchmarkDotNetVersion")}, {Str(host, "RuntimeVersion")}, {Str(host, "ProcessorName")}";
            }

            foreach (JsonElement bench in root.GetProperty("Benchmarks").EnumerateArray())
            {
                string name = $"{Str(bench, "Type")}.{Str(bench, "Method")}";
                double? median = bench.TryGetProperty("Statistics", out JsonElement st) && st.ValueKind == JsonValueKind.Object ? Num(st, "Median") : null;
                double? bytes = bench.TryGetProperty("Memory", out JsonElement mem) && mem.ValueKind == JsonValueKind.Object ? Num(mem, "BytesAllocatedPerOperation") : null;
                Core.RemoveAll(c => c.Name == name);
                Core.Add(new CoreFigure(name, median, bytes, ""));
            }
        }
    }

    /// <summary>Successful runs of one workload on one runtime, of the cold runs (<paramref name="series"/> null) or of a series ("warm").</summary>
    public IReadOnlyList<MicroRun> Runs(string workload, string runtime, string? series = null)
        => Micro.Where(m => m.Workload == workload && m.Runtime == runtime && m.Series == series && m.Error is null && !m.Skipped && m.NsPerOp is not null).ToList();

    /// <summary>Successful runs of the scale sweep for one workload at one size.</summary>
    public IReadOnlyList<MicroRun> ScaleRuns(string workload, long n)
        => Micro.Where(m => m.Series == "scale" && m.Workload == workload && m.N == n && m.Error is null && !m.Skipped && m.NsPerOp is not null).ToList();

    public MicroRun? SkippedRun(string workload, string runtime, string? series = null)
        => Micro.FirstOrDefault(m => m.Workload == workload && m.Runtime == runtime && m.Series == series && (m.Skipped || m.Error is not null));

    public double? MedianHeapBytes(string workload, string runtime)
        => Stats.Median(Runs(workload, runtime).Where(r => r.HeapBytesPerOp is not null).Select(r => r.HeapBytesPerOp!.Value));

    public double? MedianNs(string workload, string runtime, string? series = null) => Stats.Median(Runs(workload, runtime, series).Select(r => r.NsPerOp!.Value));

    public double? MedianBytes(string workload, string runtime)
        => Stats.Median(Runs(workload, runtime).Where(r => r.BytesPerOp is not null).Select(r => r.BytesPerOp!.Value));

    public double? MedianSeconds(string workload, string runtime)
        => Stats.Median(Runs(workload, runtime).Where(r => r.Seconds is not null).Select(r => r.Seconds!.Value));

    public string Get(string key, string fallback = "?") => Meta.TryGetValue(key, out string? v) && v.Length > 0 ? v : fallback;

    private static bool True(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.True;

    private static double? Num(JsonElement e, string name)
        => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static long? Long(JsonElement e, string name)
        => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? (long)v.GetDouble() : null;

    private static string? Str(JsonElement e, string name)
        => e.TryGetProperty(name, out JsonElement v) ? (v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()) : null;
}

internal static class Stats
{
    public static double? Median(IEnumerable<double> values)
    {
        double[] a = values.Order().ToArray();
        if (a.Length == 0)
        {
            return null;
        }

        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[(a.Length / 2) - 1] + a[a.Length / 2]) / 2;
    }

    public static string Ns(double? ns)
    {
        if (ns is not { } v)
        {
            return "–";
        }

        var inv = CultureInfo.InvariantCulture;
        return v switch
        {
            >= 1e6 => (v / 1e6).ToString("0.00", inv) + " ms",
            >= 1e4 => (v / 1e3).ToString("0.0", inv) + " µs",
            >= 1e3 => (v / 1e3).ToString("0.00", inv) + " µs",
            >= 100 => v.ToString("0", inv) + " ns",
            _ => v.ToString("0.0", inv) + " ns",
        };
    }

    public static string Bytes(double? b) => b switch
    {
        null => "–",
        0 => "0 B",
        { } v => v.ToString(v >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture) + " B",
    };

    /// <summary>Requests per second in thousands on two lines, to fit above a narrow bar: "125k\nreq/s", "20.4k\nreq/s" (below 1,000: "300\nreq/s").</summary>
    public static string KiloRps(double rps) => Kilo(rps, rps >= 1e5 ? "0" : "0.0") + "\nreq/s";

    /// <summary>A count in thousands ("125k", with <paramref name="format"/>), or as it is below 1,000.</summary>
    public static string Kilo(double v, string format = "0.#")
        => Math.Abs(v) >= 1e3 ? (v / 1e3).ToString(format, CultureInfo.InvariantCulture) + "k" : v.ToString("0.#", CultureInfo.InvariantCulture);

    public static string Ratio(double? r)
        => r is { } v ? (v >= 10 ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("0.00", CultureInfo.InvariantCulture)) + "×" : "–";

    public static string F(double? v, string format = "0.0") => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "–";
}
