using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;

namespace GeventSharp.Benchmarks;

/// <summary>
/// Short runs (3 warm-ups, 7 iterations) so the whole suite takes minutes on a small shared
/// machine; memory diagnoser on; results also exported as full JSON for the report tool
/// (bench/compare/Report reads <c>BenchmarkDotNet.Artifacts/results/*-report-full.json</c>).
/// </summary>
internal sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(7).WithLaunchCount(1).WithId("Short7"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddExporter(JsonExporter.Full);
        AddExporter(MarkdownExporter.GitHub);
        AddColumn(StatisticColumn.Median);
        WithOptions(ConfigOptions.JoinSummary);
    }
}
