using BenchmarkDotNet.Attributes;

namespace GeventSharp.Benchmarks;

/// <summary>
/// The coordination primitives on their hot paths (issue 3's targets): an Event ping-pong and a
/// Channel ping-pong between two greenlets (one operation = one round trip), an uncontended
/// Semaphore acquire+release, and one Event set waking 10,000 waiters (one operation = one waiter).
/// </summary>
public class PrimitiveBenchmarks
{
    private const int RoundTrips = 200_000;
    private const int Acquires = 10_000_000;
    private const int FanOut = 10_000;
    private const int FanOutRounds = 20;

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public void EventPingPong() => Gevent.Run(static async () =>
    {
        var ping = new Event();
        var pong = new Event();
        Greenlet other = Gevent.Spawn(async () =>
        {
            for (int i = 0; i < RoundTrips; i++)
            {
                await ping.WaitAsync();
                ping.Clear();
                pong.Set();
            }
        });
        for (int i = 0; i < RoundTrips; i++)
        {
            ping.Set();
            await pong.WaitAsync();
            pong.Clear();
        }

        await other.JoinAsync();
    });

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public void ChannelPingPong() => Gevent.Run(static async () =>
    {
        var there = new Channel<int>();
        var back = new Channel<int>();
        Greenlet other = Gevent.Spawn(async () =>
        {
            for (int i = 0; i < RoundTrips; i++)
            {
                await back.PutAsync(await there.GetAsync());
            }
        });
        for (int i = 0; i < RoundTrips; i++)
        {
            await there.PutAsync(i);
            await back.GetAsync();
        }

        await other.JoinAsync();
    });

    [Benchmark(OperationsPerInvoke = Acquires)]
    public void SemaphoreUncontendedAcquireRelease() => Gevent.Run(static async () =>
    {
        var sem = new Semaphore(1);
        for (int i = 0; i < Acquires; i++)
        {
            await sem.AcquireAsync();
            sem.Release();
        }
    });

    /// <summary>
    /// 10,000 greenlets block on an event; one <c>Set</c> wakes them all; each counts itself and
    /// waits on the next round's event. Spawning happens once per 20 rounds, so the figure is
    /// dominated by the wake-up and resume of each waiter.
    /// </summary>
    [Benchmark(OperationsPerInvoke = FanOut * FanOutRounds)]
    public void EventFanOut10000() => Gevent.Run(static async () =>
    {
        Event[] rounds = { new Event(), new Event() };
        var allArrived = new Event();
        int arrived = 0;
        for (int i = 0; i < FanOut; i++)
        {
            Gevent.Spawn(async () =>
            {
                for (int r = 0; r < FanOutRounds; r++)
                {
                    await rounds[r & 1].WaitAsync();
                    if (++arrived == FanOut)
                    {
                        arrived = 0;
                        allArrived.Set();
                    }
                }
            });
        }

        await Gevent.Sleep(0); // all of them are now blocked on the first event
        for (int r = 0; r < FanOutRounds; r++)
        {
            rounds[(r + 1) & 1].Clear();
            rounds[r & 1].Set();
            await allArrived.WaitAsync();
            allArrived.Clear();
        }
    });
}
