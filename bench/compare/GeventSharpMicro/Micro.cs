using System.Diagnostics;
using GeventSharp;

namespace GeventSharpMicro;

/// <summary>
/// GeventSharp versions of the micro workloads. Each run is one <see cref="Gevent.Run(Func{Task}, HubOptions?)"/>
/// (one hub, one thread); the warm-up, when there is one, runs in the same hub first.
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

    private static readonly Action s_noop = static () => { };

    /// <summary>
    /// Returns elapsed seconds, and bytes per op for "blocked" (else null). The warm-up (min(warmup, n)
    /// operations) repeats until <paramref name="warmupMs"/> have passed; "blocked" has none, so its
    /// memory figure starts from a fresh process.
    /// </summary>
    public static (double Seconds, double? BytesPerOp) Run(string workload, int n, int warmup, int warmupMs)
    {
        if (workload == "blocked")
        {
            return Gevent.Run(() => BlockedAsync(n));
        }

        Func<int, Task<double>> body = workload switch
        {
            "spawn_join" => SpawnJoinAsync,
            "yield" => YieldAsync,
            "channel_pingpong" => ChannelPingPongAsync,
            "event_fanout" => EventFanOutAsync,
            _ => throw new ArgumentException($"unknown workload {workload}", nameof(workload)),
        };

        double seconds = Gevent.Run(async () =>
        {
            if (warmup > 0)
            {
                long start = Stopwatch.GetTimestamp();
                do
                {
                    await body(Math.Min(warmup, n));
                }
                while (Stopwatch.GetElapsedTime(start).TotalMilliseconds < warmupMs);
            }

            return await body(n);
        });
        return (seconds, null);
    }

    /// <summary>
    /// Spawns n greenlets running an empty function, then joins each. The first join blocks; the
    /// spawned greenlets run in spawn order, so when it returns all are dead and the other joins
    /// return at once. (<c>Gevent.JoinAllAsync</c> works too but links a callback per greenlet.)
    /// </summary>
    private static async Task<double> SpawnJoinAsync(int n)
    {
        var greenlets = new Greenlet[n];
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            greenlets[i] = Gevent.Spawn(s_noop);
        }

        foreach (Greenlet g in greenlets)
        {
            await g.JoinAsync();
        }

        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Two greenlets each yield (<c>Gevent.Yield()</c>, i.e. <c>Sleep(0)</c>) n/2 times: n switches in total.</summary>
    private static async Task<double> YieldAsync(int n)
    {
        int per = n / 2;
        async Task Body()
        {
            for (int i = 0; i < per; i++)
            {
                await Gevent.Yield();
            }
        }

        long start = Stopwatch.GetTimestamp();
        Greenlet a = Gevent.Spawn(Body);
        Greenlet b = Gevent.Spawn(Body);
        await a.JoinAsync();
        await b.JoinAsync();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>n round trips through two rendezvous channels (Go's unbuffered channels).</summary>
    private static async Task<double> ChannelPingPongAsync(int n)
    {
        var ping = new GeventSharp.Channel<int>();
        var pong = new GeventSharp.Channel<int>();
        Greenlet echo = Gevent.Spawn(async () =>
        {
            for (int i = 0; i < n; i++)
            {
                await pong.PutAsync(await ping.GetAsync());
            }
        });
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            await ping.PutAsync(i);
            await pong.GetAsync();
        }

        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await echo.JoinAsync();
        return seconds;
    }

    /// <summary>
    /// n greenlets block on one event (all parked before timing starts, as in Go); the time is from
    /// <c>Set</c> until every waiter has run.
    /// </summary>
    private static async Task<double> EventFanOutAsync(int n)
    {
        var gate = new Event();
        var allDone = new Event();
        int done = 0;
        for (int i = 0; i < n; i++)
        {
            Gevent.Spawn(async () =>
            {
                await gate.WaitAsync();
                if (++done == n)
                {
                    allDone.Set();
                }
            });
        }

        await Gevent.Sleep(0); // every waiter is parked on the gate
        long start = Stopwatch.GetTimestamp();
        gate.Set();
        await allDone.WaitAsync();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>
    /// n greenlets blocked at once on one gate: a greenlet that has not started, which they all
    /// join. Each body is <c>() =&gt; gate.JoinAsync()</c>: the greenlet's function returns the
    /// wait itself, so no async state machine is allocated per greenlet. <c>seconds</c> is the time
    /// from the first spawn until all are blocked; <c>bytes_per_op</c> the growth of
    /// <c>GC.GetTotalMemory(true)</c> per blocked greenlet (managed heap, like AsyncBaseline).
    /// </summary>
    private static async Task<(double, double?)> BlockedAsync(int n)
    {
        var gate = new Greenlet(s_noop);
        Func<ValueTask<bool>> body = () => gate.JoinAsync();
        Greenlet? last = null;
        long before = GC.GetTotalMemory(forceFullCollection: true);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            last = Gevent.Spawn(body);
        }

        // The ready queue is FIFO: when main runs again, every greenlet has run up to its wait.
        await Gevent.Sleep(0);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        long after = GC.GetTotalMemory(forceFullCollection: true);
        if (gate.WaiterCount != n)
        {
            throw new InvalidOperationException($"expected {n} blocked greenlets, found {gate.WaiterCount}");
        }

        gate.Start();
        await last!.JoinAsync();
        return (seconds, (double)(after - before) / n);
    }
}
