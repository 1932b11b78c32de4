using BenchmarkDotNet.Running;

namespace GeventSharp.Benchmarks;

/// <summary>
/// Entry point. <c>dotnet run -c Release -- --filter '*'</c> runs every benchmark; any
/// BenchmarkDotNet switch works (<c>--list flat</c>, <c>--filter '*Switch*'</c>, <c>--job short</c>).
/// <c>-- blocked [N] [reps]</c> prints the phase figures of N blocked greenlets instead
/// (time until all are blocked, allocated and retained bytes per greenlet) as JSON lines.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "blocked")
        {
            return BlockedReport.Run(args.AsSpan(1));
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchConfig.Create());
        return 0;
    }
}
