using Xunit;
using GeventSharp.Testing;

namespace GeventSharp.Tests.Core;

public class HubThreadPoolTests
{
    [Fact]
    public void RunAsync_ReturnsTheResult_FromAnotherThread()
    {
        int hubThread = Environment.CurrentManagedThreadId;
        int workerThread = Gevent.Run(async () => await Gevent.RunBlockingAsync(() => Environment.CurrentManagedThreadId));
        Assert.NotEqual(hubThread, workerThread);
    }

    [Fact]
    public void RunAsync_BringsTheExceptionBack() => Gevent.Run(async () =>
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () => await Gevent.RunBlockingAsync<int>(() => throw new InvalidOperationException("boom")));
        Assert.Equal("boom", e.Message);
    });

    [Fact]
    public void OtherGreenlets_RunWhileACallBlocks() => Gevent.Run(async () =>
    {
        using var release = new ManualResetEventSlim();
        bool otherRan = false;
        Greenlet<bool> blocked = Gevent.Spawn(async Task<bool> () => await Gevent.RunBlockingAsync(() => release.Wait(TimeSpan.FromSeconds(30))));
        Greenlet other = Gevent.Spawn(() => { otherRan = true; });
        await other.JoinAsync();
        Assert.True(otherRan);
        Assert.False(blocked.Ready);
        release.Set();
        Assert.True(await blocked);
    });

    [Fact]
    public void WorkerCount_IsBounded_AndCallsRunConcurrentlyUpToIt()
    {
        int running = 0, peak = 0;
        Gevent.Run(
            async () =>
            {
                using var gate = new CountdownEvent(3);
                var calls = Enumerable.Range(0, 9).Select(_ => Gevent.Spawn(async Task () => await Gevent.RunBlockingAsync(() =>
                {
                    int now = Interlocked.Increment(ref running);
                    InterlockedMax(ref peak, now);
                    if (!gate.IsSet)
                    {
                        gate.Signal();
                        gate.Wait(TimeSpan.FromSeconds(30)); // the first 3 calls meet: proves 3 run at once
                    }

                    Interlocked.Decrement(ref running);
                }))).ToList();
                await Gevent.JoinAllAsync(calls, raiseError: true);
                Assert.True(Hub.Current!.ThreadPool.ThreadCount <= 3);
            },
            new HubOptions { ThreadPoolSize = 3 });
        Assert.Equal(3, peak);
    }

    [Fact]
    public void KillingTheWaiter_LeavesThePoolWorking() => Gevent.Run(async () =>
    {
        using var release = new ManualResetEventSlim();
        Greenlet<int> waiter = Gevent.Spawn(async Task<int> () => await Gevent.RunBlockingAsync(() => { release.Wait(TimeSpan.FromSeconds(30)); return 1; }));
        await Gevent.Sleep(0.01);
        await waiter.KillAsync();
        Assert.True(waiter.Ready);
        release.Set();
        Assert.Equal(2, await Gevent.RunBlockingAsync(() => 2));
    }, new HubOptions { ThreadPoolSize = 1 });

    [Fact]
    public void WaitingOnACall_IsNotABlockedForeverHub()
    {
        var clock = new VirtualClock();
        int result = Gevent.Run(async () => await Gevent.RunBlockingAsync(() => { Thread.Sleep(20); return 5; }), new HubOptions { TimeProvider = clock }); // real-time: a blocking call that takes a moment
        Assert.Equal(5, result);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
