using System.Globalization;

namespace GeventSharp.Benchmarks;

/// <summary>
/// <c>-- blocked [N] [reps]</c>: for each body kind, the median over <c>reps</c> fresh runs of the
/// time to spawn N greenlets and have them all blocked, the bytes allocated per greenlet
/// meanwhile (<c>GC.GetAllocatedBytesForCurrentThread</c>) and the managed heap retained per
/// blocked greenlet (<c>GC.GetTotalMemory(true)</c> delta). One JSON line per body kind.
/// </summary>
internal static class BlockedReport
{
    public static int Run(ReadOnlySpan<string> args)
    {
        int n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : BlockedBenchmarks.Count;
        int reps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        foreach (BlockedBody body in Enum.GetValues<BlockedBody>())
        {
            // One small untimed run so the code is jitted.
            Gevent.Run(() => BlockedWorkload.RunAsync(Math.Min(n, 10_000), body, null));
            var runs = new List<BlockedPhases>();
            for (int r = 0; r < reps; r++)
            {
                var phases = new BlockedPhases();
                Gevent.Run(() => BlockedWorkload.RunAsync(n, body, phases));
                runs.Add(phases);
            }

            double seconds = Median(runs.Select(p => p.SecondsToBlocked));
            double allocated = Median(runs.Select(p => (double)p.AllocatedBytes / n));
            double retained = Median(runs.Select(p => (double)p.RetainedBytes / n));
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine(
                $"{{\"benchmark\":\"blocked_{(body == BlockedBody.AsyncLambda ? "async_lambda" : "direct_valuetask")}\",\"n\":{n},\"reps\":{reps}," +
                $"\"seconds_to_blocked\":{seconds.ToString("R", inv)},\"allocated_bytes_per_greenlet\":{allocated.ToString("F1", inv)}," +
                $"\"retained_bytes_per_greenlet\":{retained.ToString("F1", inv)}}}");
        }

        return 0;
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] a = values.Order().ToArray();
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[(a.Length / 2) - 1] + a[a.Length / 2]) / 2;
    }
}
