using System.Diagnostics;
using GeventSharp;

namespace GeventSharpMicro;

/// <summary>What one timed run measured: its wall-clock time, the operations it timed and, for the "blocked" workloads, memory per greenlet.</summary>
internal readonly record struct Measured(double Seconds, long Ops, double? RssBytesPerOp = null, double? HeapBytesPerOp = null);

/// <summary>
/// GeventSharp versions of the micro workloads. Each run is one <see cref="Gevent.Run(Func{Task}, HubOptions?)"/>
/// (one hub, one thread); the warm-up pass, when there is one, runs in the same hub first. The
/// headline workloads use the calls the README and the seed use (<c>Gevent.Sleep(0)</c>,
/// <c>Gevent.JoinAllAsync</c>, an <c>async</c> lambda body); the faster spellings are separate
/// workloads (<c>yield_awaiter</c>, <c>spawn_join_each</c>, <c>blocked_direct</c>) so that they are extra rows, never the headline.
/// </summary>
internal static class Micro
{
    public static readonly Dictionary<string, int> DefaultN = new()
    {
        ["spawn_join"] = 100_000,
        ["spawn_join_each"] = 100_000,
        ["yield"] = 1_000_000,
        ["yield_awaiter"] = 1_000_000,
        ["channel_pingpong"] = 1_000_000,
        ["event_fanout"] = 10_000,
        ["blocked"] = 1_000_000,
        ["blocked_direct"] = 1_000_000,
        ["switch_many"] = 10_000,
        ["timer"] = 100_000,
    };

    private static readonly Action s_noop = static () => { };

    /// <summary>
    /// Runs one workload: first untimed passes of <paramref name="warmup"/> operations (0: none) in
    /// the same hub, one pass or as many as fit in <paramref name="warmSeconds"/> (the "warm"
    /// series: every runtime warmed for the same time; <paramref name="warmedOps"/> counts them),
    /// then the timed pass of <paramref name="n"/>. The "blocked" workloads have no warm-up in any
    /// runtime, so their memory figure starts from a fresh process.
    /// </summary>
    public static Measured Run(string workload, int n, int warmup, double warmSeconds, out long warmedOps)
    {
        warmedOps = 0;
        if (workload is "blocked" or "blocked_direct")
        {
            return Gevent.Run(() => BlockedAsync(n, direct: workload == "blocked_direct"));
        }

        Func<int, Task<Measured>> body = workload switch
        {
            "spawn_join" => SpawnJoinAllAsync,
            "spawn_join_each" => SpawnJoinEachAsync,
            "yield" => n => SwitchAsync(n, awaiter: false),
            "yield_awaiter" => n => SwitchAsync(n, awaiter: true),
            "channel_pingpong" => ChannelPingPongAsync,
            "event_fanout" => EventFanOutAsync,
            "switch_many" => Scale.SwitchManyAsync,
            "timer" => Scale.TimersAsync,
            _ => throw new ArgumentException($"unknown workload {workload}", nameof(workload)),
        };

        long warmed = 0;
        Measured result = Gevent.Run(async () =>
        {
            long until = Stopwatch.GetTimestamp() + (long)(warmSeconds * Stopwatch.Frequency);
            if (warmup > 0)
            {
                do
                {
                    await body(Math.Min(warmup, n));
                    warmed += Math.Min(warmup, n);
                }
                while (Stopwatch.GetTimestamp() < until);
            }

            return await body(n);
        });
        warmedOps = warmed;
        return result;
    }

    /// <summary>The headline spawn + join: n greenlets running an empty function, then one <c>Gevent.JoinAllAsync</c> (gevent's joinall, .NET's WhenAll).</summary>
    private static async Task<Measured> SpawnJoinAllAsync(int n)
    {
        var greenlets = new Greenlet[n];
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            greenlets[i] = Gevent.Spawn(s_noop);
        }

        await Gevent.JoinAllAsync(greenlets);
        return new(Stopwatch.GetElapsedTime(start).TotalSeconds, n);
    }

    /// <summary>
    /// The extra row: spawn n, then <c>await g.JoinAsync()</c> on each in turn. The first join blocks;
    /// the spawned greenlets run in spawn order, so when it returns all are dead and the other joins
    /// return at once — cheaper than JoinAllAsync, which links a callback per greenlet.
    /// </summary>
    private static async Task<Measured> SpawnJoinEachAsync(int n)
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

        return new(Stopwatch.GetElapsedTime(start).TotalSeconds, n);
    }

    /// <summary>
    /// Two greenlets each switch n/2 times: n switches in total. The headline uses
    /// <c>await Gevent.Sleep(0)</c> (a <c>ValueTask</c>, as in the README and the seed); the extra
    /// row <c>await Gevent.Yield()</c> (a struct awaiter that skips the ValueTask machinery).
    /// </summary>
    private static async Task<Measured> SwitchAsync(int n, bool awaiter)
    {
        int per = n / 2;
        async Task SleepBody()
        {
            for (int i = 0; i < per; i++)
            {
                await Gevent.Sleep(0);
            }
        }

        async Task YieldBody()
        {
            for (int i = 0; i < per; i++)
            {
                await Gevent.Yield();
            }
        }

        Func<Task> body = awaiter ? YieldBody : SleepBody;
        long start = Stopwatch.GetTimestamp();
        Greenlet a = Gevent.Spawn(body);
        Greenlet b = Gevent.Spawn(body);
        await a.JoinAsync();
        await b.JoinAsync();
        return new(Stopwatch.GetElapsedTime(start).TotalSeconds, 2L * per);
    }

    /// <summary>n round trips through two rendezvous channels (Go's unbuffered channels).</summary>
    private static async Task<Measured> ChannelPingPongAsync(int n)
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
        return new(seconds, n);
    }

    /// <summary>
    /// n greenlets block on one event (all parked before timing starts, as in Go); the time is from
    /// <c>Set</c> until every waiter has run.
    /// </summary>
    internal static async Task<Measured> EventFanOutAsync(int n)
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
        return new(Stopwatch.GetElapsedTime(start).TotalSeconds, n);
    }

    /// <summary>
    /// n greenlets blocked at once on one gate (a greenlet that has not started, which they all join).
    /// The headline body is an ordinary <c>async () =&gt; { await gate.JoinAsync(); }</c>, as a user
    /// writes it; <paramref name="direct"/> uses <c>() =&gt; gate.JoinAsync()</c>, which returns the
    /// wait itself so no async state machine exists per greenlet (the extra row). <c>seconds</c> is
    /// the time from the first spawn until all are blocked. Memory: growth of the process's RSS per
    /// greenlet (the meter Go and gevent use too), and growth of the managed heap as a second figure.
    /// </summary>
    private static async Task<Measured> BlockedAsync(int n, bool direct)
    {
        var gate = new Greenlet(s_noop);
        Func<ValueTask<bool>> directBody = () => gate.JoinAsync();
        Func<Task> asyncBody = async () => { await gate.JoinAsync(); };
        Greenlet? last = null;
        long rssBefore = ProcessMemory.RssAfterFullCollection();
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            last = direct ? Gevent.Spawn(directBody) : Gevent.Spawn(asyncBody);
        }

        // The ready queue is FIFO: when main runs again, every greenlet has run up to its wait.
        await Gevent.Sleep(0);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        long rssAfter = ProcessMemory.RssAfterFullCollection();
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        if (gate.WaiterCount != n)
        {
            throw new InvalidOperationException($"expected {n} blocked greenlets, found {gate.WaiterCount}");
        }

        gate.Start();
        await last!.JoinAsync();
        return new(seconds, n, (double)(rssAfter - rssBefore) / n, (double)(heapAfter - heapBefore) / n);
    }
}
