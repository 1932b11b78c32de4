// Report: turns the JSON lines written by bench/compare/run.sh into docs/benchmarks.md and a chart.
//
//   Report --results results.jsonl --md out.md --png out.png [--bdn DIR] [--method method.md] [--notes notes.md] [--png-link benchmarks.png] [--readme README.md]
//
// Input lines (one JSON object each, see ../README.md):
//   {"meta":{...}}                                    machine, versions, settings (written by run.sh)
//   {"workload":..,"runtime":..,"ns_per_op":..,...}   one micro run (plus rep, bg_busy_pct, others_pct, noisy, loadavg1, quiet_wait_s, series)
//   {"benchmark":"blocked_...",...}                   GeventSharp.Benchmarks "blocked" phase figures
//   {"server":..,"conns":..,"rps":..,...}             echo runs (bench/compare/echo.sh)
//   {"http_server":..,"conns":..,"rps":..,...}        HTTP/1.1 plaintext runs (bench/compare/http.sh)
// --bdn DIR: BenchmarkDotNet results directory (*-report-full.json) for the core figures section.
// --method FILE and --notes FILE: hand-written markdown appended in that order (bench/compare/method.md, notes.md).
// --readme FILE: replaces the generated "How fast" block of the README (between ReadmeSummary's markers) with this run's figures.
using Report;

var options = Options.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: Report --results FILE --md FILE --png FILE [--bdn DIR] [--method FILE] [--notes FILE] [--png-link NAME] [--readme FILE]");
    return 2;
}

ResultSet results = ResultSet.Load(options.Results);
if (options.BdnDir is { } bdn)
{
    results.LoadBenchmarkDotNet(bdn);
}

string? notes = options.Notes is { } n && File.Exists(n) ? File.ReadAllText(n) : null;
string? method = options.Method is { } m && File.Exists(m) ? File.ReadAllText(m) : null;
string pngLink = options.PngLink ?? Path.GetFileName(options.Png);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Md))!);
File.WriteAllText(options.Md, MarkdownReport.Render(results, pngLink, method, notes));
Chart.Save(results, options.Png);
if (options.Readme is { } readme)
{
    string? spliced = ReadmeSummary.Splice(File.ReadAllText(readme), results);
    if (spliced is null)
    {
        Console.Error.WriteLine($"{readme} has no generated block: it needs the line '{ReadmeSummary.Begin}' and, after it, '{ReadmeSummary.End}'.");
        return 2;
    }

    File.WriteAllText(readme, spliced);
    Console.WriteLine($"updated the generated block of {readme}");
}

Console.WriteLine($"wrote {options.Md} and {options.Png} ({results.Micro.Count} micro runs, {results.Echo.Count} echo runs, {results.Http.Count} http runs, {results.Core.Count} core benchmarks)");
return 0;

namespace Report
{
    internal sealed record Options(string Results, string Md, string Png, string? BdnDir, string? Notes, string? PngLink, string? Method, string? Readme)
    {
        public static Options? Parse(string[] args)
        {
            string? Get(string name)
            {
                int i = Array.IndexOf(args, "--" + name);
                return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
            }

            string? results = Get("results"), md = Get("md"), png = Get("png");
            return results is null || md is null || png is null
                ? null
                : new Options(results, md, png, Get("bdn"), Get("notes"), Get("png-link"), Get("method"), Get("readme"));
        }
    }
}
