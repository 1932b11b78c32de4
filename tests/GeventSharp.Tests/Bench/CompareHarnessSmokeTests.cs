using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace GeventSharp.Tests.Bench;

/// <summary>
/// Keeps bench/compare from rotting: runs the GeventSharp micro program at tiny sizes and the
/// report tool on its output, as bench/compare/run.sh does. Needs neither Go nor Python, and
/// asserts the output format, never timings.
/// </summary>
public class CompareHarnessSmokeTests
{
    private static readonly string s_repo = GeventSharp.Tests.Packaging.DotnetCli.RepoRoot;
    private static readonly string s_configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";

    [Theory]
    [InlineData("spawn_join", 500)]
    [InlineData("spawn_join_each", 500)]
    [InlineData("yield", 2000)]
    [InlineData("yield_awaiter", 2000)]
    [InlineData("channel_pingpong", 2000)]
    [InlineData("event_fanout", 500)]
    [InlineData("blocked", 2000)]
    [InlineData("blocked_direct", 2000)]
    [InlineData("switch_many", 500)]
    [InlineData("timer", 500)]
    public void Micro_PrintsOneJsonLine_InTheCommonFormat(string workload, int n)
    {
        (int exit, string stdout, string stderr) = RunDotnet(MicroDll, "-workload", workload, "-n", n.ToString());
        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        JsonElement line = SingleJsonLine(stdout);
        Assert.Equal(workload, line.GetProperty("workload").GetString());
        Assert.Equal("geventsharp", line.GetProperty("runtime").GetString());
        Assert.Equal(n, line.GetProperty("n").GetInt32());
        Assert.True(line.GetProperty("seconds").GetDouble() > 0);
        Assert.True(line.GetProperty("ns_per_op").GetDouble() > 0);
        bool blocked = workload.StartsWith("blocked", StringComparison.Ordinal);

        // The same warm-up rule as every runtime of the harness: n/10 operations, none for "blocked".
        Assert.Equal(blocked ? 0 : n / 10, line.GetProperty("warmup").GetInt32());

        // switch_many times about two million switches among its n greenlets; the others time n operations.
        long ops = line.GetProperty("ops").GetInt64();
        Assert.True(workload == "switch_many" ? ops >= 2L * n : ops == n, $"ops {ops}");
        JsonElement rss = line.GetProperty("bytes_per_op"), heap = line.GetProperty("heap_bytes_per_op");
        if (blocked)
        {
            // RSS growth is a number (its sign is up to the GC at this tiny n); the managed heap grew.
            Assert.Equal(JsonValueKind.Number, rss.ValueKind);
            Assert.True(heap.GetDouble() > 0);
        }
        else
        {
            Assert.Equal(JsonValueKind.Null, rss.ValueKind);
            Assert.Equal(JsonValueKind.Null, heap.ValueKind);
        }
    }

    [Fact]
    public void Micro_WarmSeconds_RepeatsTheWarmUpPass_AndCountsEveryOperationWarmed()
    {
        // The "warm" series: the n/10 pass repeated until the time has gone by; "warmup" counts them all.
        (int exit, string stdout, string stderr) = RunDotnet(MicroDll, "-workload", "yield", "-n", "2000", "-warm-seconds", "0.3");
        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        long warmed = SingleJsonLine(stdout).GetProperty("warmup").GetInt64();
        Assert.True(warmed > 200 && warmed % 200 == 0, $"warmup {warmed}: more than one pass of n/10 = 200");
    }

    [Fact]
    public void Micro_UnknownWorkload_ExitsTwo()
    {
        (int exit, _, string stderr) = RunDotnet(MicroDll, "-workload", "nope");
        Assert.Equal(2, exit);
        Assert.Contains("unknown -workload", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_FromMicroLines_WritesMarkdownAndPng()
    {
        using var temp = new TempDir("report");
        string dir = temp.Path;
        var lines = new List<string> { "{\"meta\":{\"date\":\"test\",\"mode\":\"smoke\",\"reps\":\"1\",\"nproc\":\"2\",\"quiet_busy_pct\":\"25\"}}" };
        foreach (string workload in new[] { "spawn_join", "yield", "yield_awaiter", "blocked" })
        {
            (_, string stdout, _) = RunDotnet(MicroDll, "-workload", workload, "-n", "1000");
            lines.Add(stdout.Trim().TrimEnd('}') + ",\"rep\":1,\"bg_busy_pct\":3,\"others_pct\":2,\"noisy\":false,\"loadavg1\":0.5,\"quiet_wait_s\":0}");
        }

        // Lines as the other runtimes print them, so the columns and ratios are exercised; one is noisy.
        lines.Add("{\"workload\":\"yield\",\"runtime\":\"go-p1\",\"n\":1000,\"seconds\":0.0001,\"ns_per_op\":100,\"bytes_per_op\":null,\"rep\":1}");
        lines.Add("{\"workload\":\"yield\",\"runtime\":\"go-p2\",\"n\":1000,\"seconds\":0.0001,\"ns_per_op\":90,\"bytes_per_op\":null,\"rep\":1,\"noisy\":true}");
        lines.Add("{\"workload\":\"blocked\",\"runtime\":\"go-p2\",\"n\":1000,\"seconds\":0.002,\"ns_per_op\":2000,\"bytes_per_op\":2700,\"heap_bytes_per_op\":2600,\"rep\":1}");
        lines.Add("{\"workload\":\"spawn_join\",\"runtime\":\"dotnet-tpl\",\"n\":1000,\"seconds\":0.0005,\"ns_per_op\":500,\"bytes_per_op\":null,\"rep\":1}");

        // The warm series: GeventSharp 60 ns against Go 80 ns (met), spawn + join all 200 ns (not met, > 150).
        lines[0] = lines[0].Replace("\"reps\":\"1\"", "\"reps\":\"1\",\"warm_seconds\":\"1\"", StringComparison.Ordinal);
        lines.Add("{\"workload\":\"yield\",\"runtime\":\"geventsharp\",\"n\":1000,\"seconds\":0.00006,\"ns_per_op\":60,\"series\":\"warm\",\"rep\":1}");
        lines.Add("{\"workload\":\"yield\",\"runtime\":\"go-p2\",\"n\":1000,\"seconds\":0.00008,\"ns_per_op\":80,\"series\":\"warm\",\"rep\":1}");
        lines.Add("{\"workload\":\"spawn_join\",\"runtime\":\"geventsharp\",\"n\":1000,\"seconds\":0.0002,\"ns_per_op\":200,\"series\":\"warm\",\"rep\":1}");

        // The scale sweep: GeventSharp at two sizes.
        lines.Add("{\"workload\":\"timer\",\"runtime\":\"geventsharp\",\"n\":1000,\"seconds\":0.0001,\"ns_per_op\":100,\"series\":\"scale\",\"rep\":1}");
        lines.Add("{\"workload\":\"timer\",\"runtime\":\"geventsharp\",\"n\":1000000,\"seconds\":0.3,\"ns_per_op\":300,\"series\":\"scale\",\"rep\":1}");

        // echo.sh and http.sh lines: "server" and "http_server", with CPU per request; C is the reference.
        lines.Add("{\"server\":\"c\",\"conns\":50,\"seconds\":5,\"requests\":1000,\"rps\":200,\"p50_us\":100,\"p99_us\":300,\"errors\":0,\"server_cpu_us_per_req\":4,\"noisy\":false}");
        lines.Add("{\"server\":\"geventsharp\",\"conns\":50,\"seconds\":5,\"requests\":900,\"rps\":180,\"p50_us\":110,\"p99_us\":320,\"errors\":0,\"server_cpu_us_per_req\":5,\"noisy\":false}");
        lines.Add("{\"http_server\":\"geventsharp\",\"round\":1,\"conns\":50,\"seconds\":3,\"requests\":900,\"rps\":300,\"p50_us\":150,\"p99_us\":900,\"errors\":0,\"server_cpu_us_per_req\":12}");
        lines.Add("{\"http_server\":\"c\",\"round\":1,\"conns\":50,\"seconds\":3,\"requests\":1200,\"rps\":400,\"p50_us\":100,\"p99_us\":500,\"errors\":0,\"server_cpu_us_per_req\":10}");
        lines.Add("{\"http_server\":\"kestrel\",\"round\":1,\"conns\":50,\"seconds\":3,\"requests\":600,\"rps\":200,\"p50_us\":200,\"p99_us\":800,\"errors\":0,\"server_cpu_us_per_req\":30,\"noisy\":true}");
        string results = Path.Combine(dir, "results.jsonl");
        File.WriteAllLines(results, lines);

        string md = Path.Combine(dir, "benchmarks.md"), png = Path.Combine(dir, "benchmarks.png");
        string method = Path.Combine(s_repo, "bench", "compare", "method.md");
        (int exit, _, string stderr) = RunDotnet(ReportDll, "--results", results, "--md", md, "--png", png, "--method", method);
        Assert.True(exit == 0, $"exit {exit}: {stderr}");

        string text = File.ReadAllText(md);
        Assert.Contains("## Goals", text, StringComparison.Ordinal);
        Assert.Contains("| GeventSharp | Go, GOMAXPROCS=1 | Go, GOMAXPROCS=2 | gevent | .NET async, one-thread context | .NET Tasks, thread pool |", text, StringComparison.Ordinal);
        Assert.Contains("| *switch with `Gevent.Yield()`* (n = 1,000) |", text, StringComparison.Ordinal);
        Assert.Contains("<sub>noisy 1/1</sub>", text, StringComparison.Ordinal);
        Assert.Contains("**This run is noisy", text, StringComparison.Ordinal);
        Assert.Contains("### Warm: after 1 s of warm-up", text, StringComparison.Ordinal);
        Assert.Contains("| `Sleep(0)` switch ≤ Go's switch at GOMAXPROCS=2, warm (both after 1 s of warm-up) | 60.0 ns vs 80.0 ns = 1.33× | yes |", text, StringComparison.Ordinal);
        Assert.Contains("| Spawn + `JoinAllAsync` ≤ 150 ns per greenlet, warm | 200 ns | **no** |", text, StringComparison.Ordinal);
        Assert.Contains("| arm + cancel with n timers pending, per timer | 100 ns | 300 ns | 3.00× |", text, StringComparison.Ordinal);

        // The goals are ratios to the C server: HTTP 12 vs 10 µs = 1.2× (met), 300 vs 400 req/s = 75% (not met); echo 5 vs 4 µs (not met).
        Assert.Contains("| HTTP CPU per request ≤ 1.2× the C server's — GeventSharp, 1 hub, 50 connections | 12.00 µs vs 10.00 µs = 1.20× | yes |", text, StringComparison.Ordinal);
        Assert.Contains("| HTTP requests/s ≥ 90% of the C server's — GeventSharp, 1 hub, 50 connections | 300 vs 400 req/s = 75% | **no** |", text, StringComparison.Ordinal);
        Assert.Contains("| Echo CPU per request ≤ the C server's — GeventSharp, 1 hub, 50 connections | 5.00 µs vs 4.00 µs = 1.25× | **no** |", text, StringComparison.Ordinal);
        int http = text.IndexOf("## HTTP/1.1 plaintext (wrk, keep-alive)", StringComparison.Ordinal);
        Assert.True(http > 0, "no HTTP section");
        Assert.DoesNotContain("Kestrel |", text[..http], StringComparison.Ordinal);
        Assert.Contains("| Kestrel | 50 | 200 |", text[http..], StringComparison.Ordinal);
        Assert.Contains("| 30.00 µs | 3.00× | 50% |", text[http..], StringComparison.Ordinal);
        Assert.Contains("## Method", text, StringComparison.Ordinal);
        Assert.Contains("](benchmarks.png)", text, StringComparison.Ordinal);

        byte[] head = File.ReadAllBytes(png).Take(8).ToArray();
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, head);
    }

    private const string ReadmeBegin = "<!-- bench-summary:begin (generated by bench/compare/run.sh from docs/benchmarks.jsonl; do not edit by hand) -->";
    private const string ReadmeEnd = "<!-- bench-summary:end -->";

    [Fact]
    public void Report_Readme_ReplacesOnlyTheGeneratedBlock_WithTheRunsFigures()
    {
        using var temp = new TempDir("readme");
        string dir = temp.Path;
        string results = Path.Combine(dir, "results.jsonl");
        File.WriteAllLines(results,
        [
            "{\"meta\":{\"date\":\"2026-01-02 03:04\",\"git_commit\":\"abc1234\",\"cpu_model\":\"Test CPU\",\"nproc\":\"2\",\"mode\":\"full\",\"reps\":\"1\",\"quiet_busy_pct\":\"25\"}}",
            "{\"workload\":\"yield\",\"runtime\":\"geventsharp\",\"n\":1000,\"seconds\":0.0001,\"ns_per_op\":50,\"rep\":1}",
            "{\"workload\":\"yield\",\"runtime\":\"go-p2\",\"n\":1000,\"seconds\":0.0001,\"ns_per_op\":100,\"rep\":1,\"noisy\":true}",
            "{\"workload\":\"yield\",\"runtime\":\"geventsharp\",\"n\":1000,\"seconds\":0.0001,\"ns_per_op\":40,\"series\":\"warm\",\"rep\":1}",
            "{\"workload\":\"yield\",\"runtime\":\"go-p2\",\"n\":1000,\"seconds\":0.0001,\"ns_per_op\":80,\"series\":\"warm\",\"rep\":1}",
            "{\"workload\":\"blocked\",\"runtime\":\"geventsharp\",\"n\":1000,\"seconds\":0.001,\"ns_per_op\":1000,\"bytes_per_op\":300,\"rep\":1}",
            "{\"workload\":\"blocked\",\"runtime\":\"go-p2\",\"n\":1000,\"seconds\":0.002,\"ns_per_op\":2000,\"bytes_per_op\":3000,\"rep\":1}",
            "{\"http_server\":\"c\",\"conns\":50,\"rps\":80000,\"errors\":0,\"server_cpu_us_per_req\":10}",
            "{\"http_server\":\"geventsharp\",\"conns\":50,\"rps\":72000,\"errors\":0,\"server_cpu_us_per_req\":11}",
        ]);
        string readme = Path.Combine(dir, "README.md");
        File.WriteAllText(readme, $"# Title\n\nhand text before\n\n{ReadmeBegin}\nstale figures\n{ReadmeEnd}\n\nhand text after\n");

        (int exit, _, string stderr) = ReportWithReadme(dir, results, readme);
        Assert.True(exit == 0, $"exit {exit}: {stderr}");

        string text = File.ReadAllText(readme);
        Assert.StartsWith("# Title\n\nhand text before\n\n" + ReadmeBegin, text, StringComparison.Ordinal);
        Assert.EndsWith(ReadmeEnd + "\n\nhand text after\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("stale figures", text, StringComparison.Ordinal);
        Assert.Contains("2026-01-02 03:04 UTC, commit `abc1234`, Test CPU with 2 logical CPUs; 1 of its 8 runs were on a busy machine", text, StringComparison.Ordinal);

        // Go's switch takes twice GeventSharp's time cold and warm; GeventSharp's RSS is a tenth of Go's.
        Assert.Contains("| `Sleep(0)` switch, cold / warm | 50.0 ns / 40.0 ns | 2.00× / 2.00× | – / – | – / – |", text, StringComparison.Ordinal);
        Assert.Contains("| RSS per blocked greenlet (`async` lambda, 1,000) | 300 B | 0.10× | – | – |", text, StringComparison.Ordinal);
        Assert.Contains("| HTTP plaintext, GeventSharp, 1 hub | 72k / – | 11.00 / – µs | 1.10× / – |", text, StringComparison.Ordinal);
        Assert.Contains("| HTTP plaintext, C epoll (reference) | 80k / – | 10.00 / – µs | 1× |", text, StringComparison.Ordinal);

        // Run again: the block is replaced, not appended to.
        (exit, _, stderr) = ReportWithReadme(dir, results, readme);
        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        Assert.Equal(text, File.ReadAllText(readme));
    }

    [Fact]
    public void Report_ReadmeWithoutTheMarkers_ExitsTwo_AndLeavesItAlone()
    {
        using var temp = new TempDir("readme");
        string dir = temp.Path;
        string results = Path.Combine(dir, "results.jsonl"), readme = Path.Combine(dir, "README.md");
        File.WriteAllText(results, "{\"meta\":{\"date\":\"d\",\"mode\":\"full\"}}\n");
        File.WriteAllText(readme, "# no markers\n");
        (int exit, _, string stderr) = ReportWithReadme(dir, results, readme);
        Assert.Equal(2, exit);
        Assert.Contains("has no generated block", stderr, StringComparison.Ordinal);
        Assert.Equal("# no markers\n", File.ReadAllText(readme));
    }

    [Fact]
    public void RepoReadme_QuotesTheSameRunAsDocsBenchmarks()
    {
        // run.sh writes both from one run; a hand edit of either, or a partial run, would part them.
        string docs = File.ReadAllText(Path.Combine(s_repo, "docs", "benchmarks.md"));
        string readme = File.ReadAllText(Path.Combine(s_repo, "README.md"));
        string date = Regex.Match(docs, @"^\| Date \(UTC\) \| (.+?) \|$", RegexOptions.Multiline).Groups[1].Value;
        string commit = Regex.Match(docs, @"^\| Git \| `([0-9a-f]+)", RegexOptions.Multiline).Groups[1].Value;
        Assert.NotEqual("", date);
        Assert.NotEqual("", commit);
        int begin = readme.IndexOf(ReadmeBegin, StringComparison.Ordinal), end = readme.IndexOf(ReadmeEnd, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "README.md has no generated benchmark block");
        Assert.Contains($"{date} UTC, commit `{commit}", readme[begin..end], StringComparison.Ordinal);
    }

    /// <summary>A fresh folder under the temp directory, deleted with everything in it when disposed.</summary>
    private sealed class TempDir(string prefix) : IDisposable
    {
        public string Path { get; } = Directory.CreateDirectory(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"geventsharp-{prefix}-{Guid.NewGuid():N}")).FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    /// <summary>Runs the report tool on <paramref name="results"/>, its markdown and chart in <paramref name="dir"/>, with --readme.</summary>
    private static (int Exit, string Stdout, string Stderr) ReportWithReadme(string dir, string results, string readme)
        => RunDotnet(ReportDll, "--results", results, "--md", Path.Combine(dir, "b.md"), "--png", Path.Combine(dir, "b.png"), "--readme", readme);

    private static string MicroDll => BuiltDll("GeventSharpMicro", "GeventSharpMicro.dll");

    private static string ReportDll => BuiltDll("Report", "Report.dll");

    private static string BuiltDll(string project, string dll)
    {
        string path = Path.Combine(s_repo, "bench", "compare", project, "bin", s_configuration, "net10.0", dll);
        Assert.True(File.Exists(path), $"{path} is missing; the test project builds it (ProjectReference), or run dotnet build on {project}.");
        return path;
    }

    private static JsonElement SingleJsonLine(string stdout)
    {
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Single(lines);
        return JsonDocument.Parse(lines[0]).RootElement.Clone();
    }

    private static (int Exit, string Stdout, string Stderr) RunDotnet(string dll, params string[] args)
        => GeventSharp.Tests.Packaging.DotnetCli.Run(null, [dll, .. args]);
}
