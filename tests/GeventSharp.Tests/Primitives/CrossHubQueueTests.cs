using System.Runtime.ExceptionServices;
using Xunit;

namespace GeventSharp.Tests.Primitives;

/// <summary>
/// <see cref="CrossHubQueue{T}"/> between two real hubs (two threads running Gevent.Run): FIFO in
/// both directions, cooperative waits on empty and full, shutdown waking the other hub's waiters.
/// Ordering between hubs is made deterministic by handshakes, never by sleeping.
/// </summary>
public class CrossHubQueueTests
{
    /// <summary>Runs <paramref name="a"/> and <paramref name="b"/> as the mains of two hubs on two threads; rethrows the first failure.</summary>
    private static void TwoHubs(Func<Task> a, Func<Task> b)
    {
        Exception?[] failures = new Exception?[2];
        Thread Start(Func<Task> main, int index)
        {
            var t = new Thread(() =>
            {
                try
                {
                    Gevent.Run(main);
                }
                catch (Exception e)
                {
                    failures[index] = e;
                }
            }) { Name = $"test hub {(char)('A' + index)}", IsBackground = true };
            t.Start();
            return t;
        }

        Thread ta = Start(a, 0), tb = Start(b, 1);
        Assert.True(ta.Join(TimeSpan.FromMinutes(2)), "hub A never finished (a lost wake-up?)"); // a safety net, not a timing check
        Assert.True(tb.Join(TimeSpan.FromMinutes(2)), "hub B never finished (a lost wake-up?)");
        foreach (Exception? e in failures)
        {
            if (e is not null)
            {
                ExceptionDispatchInfo.Capture(e).Throw();
            }
        }
    }

    [Fact]
    public void ManyItems_BothDirections_ArriveInOrder()
    {
        const int N = 20_000;
        var toB = new CrossHubQueue<int>(maxSize: 3);
        var toA = new CrossHubQueue<int>(maxSize: 2);
        var received = new List<int>();
        TwoHubs(
            async () =>
            {
                Greenlet sender = Gevent.Spawn(async () =>
                {
                    for (int i = 0; i < N; i++)
                    {
                        await toB.PutAsync(i); // blocks (cooperatively) whenever B is behind
                    }

                    toB.Shutdown();
                });
                await foreach (int item in toA)
                {
                    received.Add(item);
                }

                await sender.GetAsync();
            },
            async () =>
            {
                await foreach (int item in toB)
                {
                    await toA.PutAsync(-item);
                }

                toA.Shutdown();
            });

        Assert.Equal(Enumerable.Range(0, N).Select(i => -i), received);
    }

    [Fact]
    public void AGetOnEmpty_ParksItsGreenletUntilTheOtherHubPuts()
    {
        var queue = new CrossHubQueue<string>(maxSize: 1);
        var parked = new CrossHubQueue<int>(maxSize: 1);
        string? got = null;
        int otherGreenletRuns = 0;
        TwoHubs(
            async () =>
            {
                Greenlet getter = Gevent.Spawn(async () => got = await queue.GetAsync());
                Greenlet other = Gevent.Spawn(async () =>
                {
                    otherGreenletRuns++; // the hub runs other greenlets while the getter waits
                    Assert.Equal(1, queue.GetterCount); // the getter is parked, not spinning
                    Assert.False(getter.Ready);
                    await parked.PutAsync(1);
                });
                await Gevent.JoinAllAsync(new[] { getter, other }, raiseError: true);
            },
            async () =>
            {
                await parked.GetAsync();
                Assert.True(queue.TryPut("hello"));
            });

        Assert.Equal("hello", got);
        Assert.Equal(1, otherGreenletRuns);
    }

    [Fact]
    public void APutOnFull_WaitsUntilTheOtherHubTakesAnItem()
    {
        var queue = new CrossHubQueue<int>(maxSize: 1);
        var parked = new CrossHubQueue<int>(maxSize: 1);
        var order = new List<string>();
        TwoHubs(
            async () =>
            {
                await queue.PutAsync(1);
                Greenlet putter = Gevent.Spawn(async () =>
                {
                    await queue.PutAsync(2);
                    lock (order)
                    {
                        order.Add("put 2");
                    }
                });
                await Gevent.Sleep(0);
                Assert.Equal(1, queue.PutterCount);
                Assert.False(putter.Ready);
                await parked.PutAsync(0);
                await putter.GetAsync();
            },
            async () =>
            {
                await parked.GetAsync();
                lock (order)
                {
                    order.Add("taking 1"); // before the take that makes room: the put cannot finish earlier
                }

                Assert.True(queue.TryGet(out int first));
                Assert.Equal(1, first);

                Assert.Equal(2, await queue.GetAsync());
            });

        Assert.Equal(new[] { "taking 1", "put 2" }, order);
    }

    [Fact]
    public void Shutdown_WakesGettersAndPuttersOnTheOtherHub()
    {
        var empty = new CrossHubQueue<int>(maxSize: 1);
        var full = new CrossHubQueue<int>(maxSize: 1);
        var parked = new CrossHubQueue<int>(maxSize: 1);
        Exception? getError = null, putError = null;
        TwoHubs(
            async () =>
            {
                Assert.True(full.TryPut(0));
                Greenlet getter = Gevent.Spawn(async () => getError = await Record(async () => await empty.GetAsync()));
                Greenlet putter = Gevent.Spawn(async () => putError = await Record(async () => await full.PutAsync(1)));
                await Gevent.Sleep(0);
                Assert.Equal(1, empty.GetterCount);
                Assert.Equal(1, full.PutterCount);
                await parked.PutAsync(0);
                await Gevent.JoinAllAsync(new[] { getter, putter }, raiseError: true);
            },
            async () =>
            {
                await parked.GetAsync();
                empty.Shutdown();
                full.Shutdown(immediate: true);
            });

        Assert.IsType<QueueShutDownException>(getError);
        Assert.IsType<QueueShutDownException>(putError);
        Assert.Equal(0, full.Count); // immediate: the item left was dropped
    }

    private static async Task<Exception?> Record(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    [Fact]
    public void AfterShutdown_GetsDrainWhatIsLeftThenThrow_AndPutsFail() => Prim.Run(async () =>
    {
        var queue = new CrossHubQueue<int>(maxSize: 4);
        await queue.PutAsync(1);
        await queue.PutAsync(2);
        queue.Shutdown();
        Assert.False(queue.TryPut(3));
        await Assert.ThrowsAsync<QueueShutDownException>(async () => await queue.PutAsync(3));
        Assert.Equal(1, await queue.GetAsync());
        Assert.Equal(2, await queue.GetAsync());
        await Assert.ThrowsAsync<QueueShutDownException>(async () => await queue.GetAsync());
    });

    [Fact]
    public void Timeouts_ThrowEmptyAndFull_OnTheVirtualClock() => Prim.Run(async () =>
    {
        var queue = new CrossHubQueue<int>(maxSize: 1);
        await Assert.ThrowsAsync<QueueEmptyException>(async () => await queue.GetAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, queue.GetterCount); // the timed-out waiter left the line
        await queue.PutAsync(1);
        await Assert.ThrowsAsync<QueueFullException>(async () => await queue.PutAsync(2, timeoutSeconds: 5));
        Assert.Equal(0, queue.PutterCount);
        Assert.Equal(1, await queue.GetAsync());
    });

    [Fact]
    public void AWaiterCancelledAsItIsWoken_LosesNoItem() => Prim.Run(async () =>
    {
        var queue = new CrossHubQueue<int>(maxSize: 1);
        using var cancel = new CancellationTokenSource();
        Greenlet<int> first = Gevent.Spawn(async () =>
        {
            try
            {
                return await queue.GetAsync(cancellationToken: cancel.Token);
            }
            catch (OperationCanceledException)
            {
                return -1;
            }
        });
        Greenlet<int> second = Gevent.Spawn(async () => await queue.GetAsync());
        await Gevent.Sleep(0);
        Assert.Equal(2, queue.GetterCount);
        Assert.True(queue.TryPut(7)); // wakes the first getter (its wake is posted)...
        cancel.Cancel();              // ...which is cancelled before or after it runs
        if (await first.GetAsync() == 7)
        {
            Assert.True(queue.TryPut(8));
            Assert.Equal(8, await second.GetAsync());
        }
        else
        {
            Assert.Equal(7, await second.GetAsync()); // the wake it could not use went to the next waiter
        }
    });
}
