using System.Diagnostics;
using System.Threading.Channels;

namespace AsyncBaseline;

/// <summary>
/// Task/async-await versions of the micro workloads. Every workload is an
/// async method; where it runs (single-threaded context or thread pool) is
/// decided by the caller. On the thread pool spawn_join is what a .NET user
/// writes (<c>Task.Run</c> × n, <c>Task.WhenAll</c>); on the single-threaded
/// context it is an async method that yields (Task.Run would leave the context).
/// </summary>
internal static class Micro
{
    public static readonly Dictionary<string, int> DefaultN = new()
    {
        ["spawn_join"] = 100_000,
        ["yield"] = 1_000_000,
        ["channel_pingpong"] = 1_000_000,
        ["event_fanout"] = 10_000,
        ["blocked"] = 1_000_000,
    };

    /// <summary>Returns elapsed seconds, and RSS and managed-heap bytes per op for "blocked" (else null).</summary>
    public static Task<(double Seconds, double? BytesPerOp, double? HeapBytesPerOp)> RunAsync(string workload, int n, bool threadPool) => workload switch
    {
        "spawn_join" => Timed(threadPool ? TaskRunWhenAllAsync(n) : SpawnJoinAsync(n)),
        "yield" => Timed(YieldAsync(n)),
        "channel_pingpong" => Timed(ChannelPingPongAsync(n)),
        "event_fanout" => Timed(EventFanoutAsync(n)),
        "blocked" => BlockedAsync(n),
        _ => throw new ArgumentException($"unknown workload {workload}"),
    };

    private static async Task<(double, double?, double?)> Timed(Task<double> t) => (await t, null, null);

    private static readonly Action s_noop = static () => { };

    /// <summary>The thread-pool spawn + join: <c>Task.Run(noop)</c> × n, then <c>await Task.WhenAll</c>.</summary>
    private static async Task<double> TaskRunWhenAllAsync(int n)
    {
        var tasks = new Task[n];
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            tasks[i] = Task.Run(s_noop);
        }
        await Task.WhenAll(tasks);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    // A "spawned" unit of work: the method returns to its caller at the first
    // await and its body is resumed later by the scheduler, like a goroutine
    // or greenlet that is created now and run later.
    private static async Task SpawnedNoop()
    {
        await Task.Yield();
    }

    private static async Task<double> SpawnJoinAsync(int n)
    {
        var tasks = new Task[n];
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            tasks[i] = SpawnedNoop();
        }
        await Task.WhenAll(tasks);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static async Task YieldLoop(int count)
    {
        for (int i = 0; i < count; i++)
        {
            await Task.Yield();
        }
    }

    private static async Task<double> YieldAsync(int n)
    {
        int per = n / 2;
        long start = Stopwatch.GetTimestamp();
        Task a = YieldLoop(per);
        Task b = YieldLoop(per);
        await Task.WhenAll(a, b);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static async Task<double> ChannelPingPongAsync(int n)
    {
        var opts = new UnboundedChannelOptions { SingleReader = true, SingleWriter = true };
        Channel<int> ping = Channel.CreateUnbounded<int>(opts);
        Channel<int> pong = Channel.CreateUnbounded<int>(opts);

        static async Task Echo(ChannelReader<int> from, ChannelWriter<int> to)
        {
            while (true)
            {
                int v = await from.ReadAsync();
                to.TryWrite(v);
                if (v < 0)
                {
                    return;
                }
            }
        }

        Task echo = Echo(ping.Reader, pong.Writer);
        ChannelWriter<int> w = ping.Writer;
        ChannelReader<int> r = pong.Reader;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            w.TryWrite(i);
            await r.ReadAsync();
        }
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        w.TryWrite(-1);
        await r.ReadAsync();
        await echo;
        return seconds;
    }

    /// <summary>n async methods parked on one TaskCompletionSource.</summary>
    private sealed class Parked(int n)
    {
        public readonly TaskCompletionSource Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource AllDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _done;

        public async Task Waiter()
        {
            await Gate.Task;
            if (Interlocked.Increment(ref _done) == n)
            {
                AllDone.TrySetResult();
            }
        }

        // An async method runs synchronously up to its first await, so when
        // this returns every waiter is parked on Gate.
        public void SpawnAll()
        {
            for (int i = 0; i < n; i++)
            {
                _ = Waiter();
            }
        }
    }

    private static async Task<double> EventFanoutAsync(int n)
    {
        var p = new Parked(n);
        p.SpawnAll();
        long start = Stopwatch.GetTimestamp();
        p.Gate.TrySetResult();
        await p.AllDone.Task;
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>
    /// n async methods parked on one TaskCompletionSource; memory is the growth of the process's RSS
    /// per parked method (the meter of every runtime) and of the managed heap (a second figure).
    /// </summary>
    private static async Task<(double, double?, double?)> BlockedAsync(int n)
    {
        long rssBefore = ProcessMemory.RssAfterFullCollection();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var p = new Parked(n);
        long start = Stopwatch.GetTimestamp();
        p.SpawnAll();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        long rssAfter = ProcessMemory.RssAfterFullCollection();
        long after = GC.GetTotalMemory(forceFullCollection: true);
        p.Gate.TrySetResult();
        await p.AllDone.Task;
        GC.KeepAlive(p);
        return (seconds, (double)(rssAfter - rssBefore) / n, (double)(after - before) / n);
    }
}
