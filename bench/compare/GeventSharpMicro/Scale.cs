using System.Diagnostics;
using GeventSharp;

namespace GeventSharpMicro;

/// <summary>
/// Workloads of the "cost as work grows" sweep (run.sh runs them, with spawn_join and event_fanout,
/// at n = 10³ … 10⁶): the cost of one operation while n greenlets or timers are alive at once.
/// </summary>
internal static class Scale
{
    /// <summary>
    /// n greenlets switch round-robin with <c>await Gevent.Sleep(0)</c>, so the ready queue holds n
    /// entries; each makes max(2, 2,000,000 / n) timed switches (about two million in all at every n).
    /// All are spawned and have made a first, untimed switch before the clock starts.
    /// </summary>
    public static async Task<Measured> SwitchManyAsync(int n)
    {
        int rounds = Math.Max(2, 2_000_000 / n);
        async Task Body()
        {
            for (int i = 0; i <= rounds; i++)
            {
                await Gevent.Sleep(0);
            }
        }

        var greenlets = new Greenlet[n];
        for (int i = 0; i < n; i++)
        {
            greenlets[i] = Gevent.Spawn(Body);
        }

        await Gevent.Sleep(0); // every greenlet has started and made its first switch
        long start = Stopwatch.GetTimestamp();
        await Gevent.JoinAllAsync(greenlets);
        return new(Stopwatch.GetElapsedTime(start).TotalSeconds, (long)n * rounds);
    }

    /// <summary>
    /// n timers armed at once, then all cancelled: <c>Timeout.StartNew</c> with deadlines between 60
    /// and 61 s in a scrambled order (none fires), then <c>Cancel()</c> on each; time per timer
    /// (arm + cancel) with up to n pending, i.e. the timer queue's cost at that size.
    /// </summary>
    public static Task<Measured> TimersAsync(int n)
    {
        var timeouts = new GeventSharp.Timeout[n];
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            double spread = (int)(((long)i * 7919) % n) / (double)n;
            timeouts[i] = GeventSharp.Timeout.StartNew(60 + spread);
        }

        foreach (GeventSharp.Timeout t in timeouts)
        {
            t.Cancel();
        }

        return Task.FromResult(new Measured(Stopwatch.GetElapsedTime(start).TotalSeconds, n));
    }
}
