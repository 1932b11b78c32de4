using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;

namespace GeventSharp.Benchmarks;

/// <summary>
/// The default configuration plus: short runs (3 warm-ups, 7 iterations, one launch) so the
/// suite takes minutes on a small shared machine, the memory diagnoser, a median column, and a
/// full JSON export (bench/compare/Report reads <c>BenchmarkDotNet.Artifacts/results/*-report-full.json</c>).
/// </summary>
internal static class BenchConfig
{
    public static IConfig Create() => ManualConfig.Create(DefaultConfig.Instance)
        .AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(7).WithLaunchCount(1).WithId("Short7"))
        .AddDiagnoser(MemoryDiagnoser.Default)
        .AddExporter(JsonExporter.Full)
        .AddColumn(StatisticColumn.Median)
        .WithOptions(ConfigOptions.JoinSummary);
}
