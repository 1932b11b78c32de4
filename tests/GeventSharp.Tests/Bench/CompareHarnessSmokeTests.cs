using System.Diagnostics;
using System.Text.Json;
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
    [InlineData("yield", 2000)]
    [InlineData("channel_pingpong", 2000)]
    [InlineData("event_fanout", 500)]
    [InlineData("blocked", 2000)]
    public void Micro_PrintsOneJsonLine_InTheCommonFormat(string workload, int n)
    {
        (int exit, string stdout, string stderr) = RunDotnet(MicroDll, "-workload", workload, "-n", n.ToString(), "-warmup", "10", "-warmup-ms", "0");
        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        JsonElement line = SingleJsonLine(stdout);
        Assert.Equal(workload, line.GetProperty("workload").GetString());
        Assert.Equal("geventsharp", line.GetProperty("runtime").GetString());
        Assert.Equal(n, line.GetProperty("n").GetInt32());
        Assert.True(line.GetProperty("seconds").GetDouble() > 0);
        Assert.True(line.GetProperty("ns_per_op").GetDouble() > 0);
        JsonElement bytes = line.GetProperty("bytes_per_op");
        if (workload == "blocked")
        {
            Assert.True(bytes.GetDouble() > 0);
        }
        else
        {
            Assert.Equal(JsonValueKind.Null, bytes.ValueKind);
        }
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
        string dir = Path.Combine(Path.GetTempPath(), "geventsharp-report-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var lines = new List<string> { "{\"meta\":{\"date\":\"test\",\"mode\":\"smoke\",\"reps\":\"1\",\"nproc\":\"2\"}}" };
            foreach (string workload in new[] { "spawn_join", "yield", "channel_pingpong", "blocked" })
            {
                (_, string stdout, _) = RunDotnet(MicroDll, "-workload", workload, "-n", "1000", "-warmup", "10");
                lines.Add(stdout.Trim().TrimEnd('}') + ",\"rep\":1,\"bg_busy_pct\":3,\"loadavg1\":0.5,\"quiet_wait_s\":0}");
            }

            // A line as another runtime would print it, so the ratio columns are exercised.
            lines.Add("{\"workload\":\"yield\",\"runtime\":\"go\",\"n\":1000,\"seconds\":0.0001,\"ns_per_op\":100,\"bytes_per_op\":null,\"rep\":1}");
            lines.Add("{\"workload\":\"blocked\",\"runtime\":\"go\",\"n\":1000,\"seconds\":0.002,\"ns_per_op\":2000,\"bytes_per_op\":2600,\"rep\":1}");
            lines.Add("{\"server\":\"c\",\"conns\":50,\"seconds\":5,\"requests\":1000,\"rps\":200,\"p50_us\":100,\"p99_us\":300,\"errors\":0}");
            // http.sh lines: "http_server", not "server", so they land in the HTTP table, not the echo one.
            lines.Add("{\"http_server\":\"geventsharp\",\"round\":1,\"conns\":50,\"seconds\":3,\"requests\":900,\"rps\":300,\"p50_us\":150,\"p99_us\":900,\"errors\":0}");
            lines.Add("{\"http_server\":\"kestrel\",\"round\":1,\"conns\":50,\"seconds\":3,\"requests\":600,\"rps\":200,\"p50_us\":200,\"p99_us\":800,\"errors\":0}");
            string results = Path.Combine(dir, "results.jsonl");
            File.WriteAllLines(results, lines);

            string md = Path.Combine(dir, "benchmarks.md"), png = Path.Combine(dir, "benchmarks.png");
            (int exit, _, string stderr) = RunDotnet(ReportDll, "--results", results, "--md", md, "--png", png);
            Assert.True(exit == 0, $"exit {exit}: {stderr}");

            string text = File.ReadAllText(md);
            Assert.Contains("## Targets (issue 5)", text, StringComparison.Ordinal);
            Assert.Contains("| GeventSharp | Go | gevent | .NET async |", text, StringComparison.Ordinal);
            Assert.Contains("Yield switches ≥ 2× Go", text, StringComparison.Ordinal);
            Assert.Contains("| c | 50 |", text, StringComparison.Ordinal);
            int http = text.IndexOf("## HTTP/1.1 plaintext (wrk, keep-alive)", StringComparison.Ordinal);
            Assert.True(http > 0, "no HTTP section");
            Assert.DoesNotContain("kestrel", text[..http], StringComparison.Ordinal);
            Assert.Contains("| kestrel | 50 | 200 |", text[http..], StringComparison.Ordinal);
            Assert.Contains("- geventsharp at 50 connections: 1.50× kestrel", text[http..], StringComparison.Ordinal);
            Assert.Contains("](benchmarks.png)", text, StringComparison.Ordinal);

            byte[] head = File.ReadAllBytes(png).Take(8).ToArray();
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, head);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

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
