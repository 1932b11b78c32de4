using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// The hot paths allocate nothing in steady state (after a warm-up has created the async state
/// machine boxes and grown the hub's queues). BenchmarkDotNet's memory diagnoser shows the same
/// figures in bench/GeventSharp.Benchmarks; these keep them from regressing unnoticed.
/// </summary>
public class AllocationTests
{
    private const int WarmUp = 2_000;
    private const int Measured = 10_000;

    // The least of up to three measurements counts: an allocation on the hot path shows in every
    // one, while a one-off by the runtime mid-run (seen about once in twenty full test runs) does not.
    private const int Attempts = 3;

    [Fact]
    public void SleepZero_SteadyState_AllocatesNothing()
    {
        long allocated = -1;
        Gevent.Run(async () =>
        {
            // A second greenlet so every Sleep(0) is a real switch between two greenlets.
            Greenlet other = Gevent.Spawn((Func<Task>)(async () =>
            {
                for (int i = 0; i < WarmUp + (Attempts * Measured) + 10; i++)
                {
                    await Gevent.Sleep(0);
                }
            }));

            for (int i = 0; i < WarmUp; i++)
            {
                await Gevent.Sleep(0);
            }

            allocated = long.MaxValue;
            for (int attempt = 0; attempt < Attempts && allocated > 0; attempt++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < Measured; i++)
                {
                    await Gevent.Sleep(0);
                }

                allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            await other.JoinAsync();
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Join_OfDeadGreenlet_SteadyState_AllocatesNothing()
    {
        long allocated = -1;
        Gevent.Run(async () =>
        {
            Greenlet dead = Gevent.Spawn(static () => { });
            await dead.JoinAsync();
            Assert.True(dead.Ready);
            for (int i = 0; i < WarmUp; i++)
            {
                await dead.JoinAsync();
            }

            allocated = long.MaxValue;
            for (int attempt = 0; attempt < Attempts && allocated > 0; attempt++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < Measured; i++)
                {
                    bool joined = await dead.JoinAsync();
                    Assert.True(joined);
                }

                allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            }
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void SpawnSyncBody_AndJoinAll_SteadyState_AllocatesTheGreenletAndLittleElse()
    {
        // The greenlet (96 B) and its live-list slot (8 B), the result list's slot (8 B): a synchronous
        // body gets no synchronization context of its own, and an array is joined without a copy.
        const int N = 1_000;
        long perGreenlet = -1;
        Gevent.Run(async () =>
        {
            var greenlets = new Greenlet[N];
            perGreenlet = long.MaxValue;
            for (int attempt = 0; attempt < 3 + Attempts; attempt++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < N; i++)
                {
                    greenlets[i] = Gevent.Spawn(s_noop);
                }

                await Gevent.JoinAllAsync(greenlets);
                long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
                if (attempt >= 3)
                {
                    perGreenlet = Math.Min(perGreenlet, bytes / N);
                }
            }
        });

        Assert.InRange(perGreenlet, 1, 120);
    }

    private static readonly Action s_noop = static () => { };
}
