using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

public sealed class ChannelTests
{
    [Fact]
    public void Put_CompletesOnlyWhenAGetterTakesTheItem()
    {
        var h = Run(async () =>
        {
            var c = new Channel<string>();
            string? got = null;
            Fork(async () => { await Gevent.Sleep(2); got = await c.GetAsync(); });
            await c.PutAsync("ping");
            Assert.Equal(TimeSpan.FromSeconds(2), Hub.Current!.TimeProvider.GetUtcNow() - new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
            await Settle();
            Assert.Equal("ping", got);
        });
        Assert.Equal(TimeSpan.FromSeconds(2), h.Elapsed);
    }

    [Fact]
    public void TryPut_NeedsAWaitingGetter()
    {
        Run(async () =>
        {
            var c = new Channel<int>();
            Assert.Equal(0, c.GetterCount);
            Assert.False(c.TryPut(1));
            Greenlet<int> g = Go(() => c.GetAsync().AsTask());
            await Settle();
            Assert.Equal(1, c.GetterCount);
            Assert.True(c.TryPut(1));
            Assert.Equal(1, await g);
        });
    }

    [Fact]
    public void TryGet_TakesFromAWaitingPutter_AndReleasesIt()
    {
        Run(async () =>
        {
            var c = new Channel<int>();
            Assert.False(c.TryGet(out _));
            Greenlet p = Go(async () => await c.PutAsync(4));
            await Settle();
            Assert.Equal(1, c.Count);
            Assert.Equal(1, c.Balance);
            Assert.Equal(4, GetNow(c));
            await p.GetAsync();
            Assert.True(p.Successful);
        });
    }

    [Fact]
    public void Putters_AreServedInOrder()
    {
        Run(async () =>
        {
            var c = new Channel<int>();
            for (int i = 0; i < 3; i++)
            {
                int n = i;
                Fork(async () => await c.PutAsync(n));
            }

            await Settle();
            Assert.Equal(new[] { 0, 1, 2 }, new[] { await c.GetAsync(), await c.GetAsync(), await c.GetAsync() });
        });
    }

    [Fact]
    public void PuttersLeavingEarly_AcrossACompaction_LeaveEveryOtherItemWithItsPutter()
    {
        Run(async () =>
        {
            var c = new Channel<int>();
            // 30 putters; two of every three give up after 1 s, which compacts the putter list
            // (and its payloads) while the others wait; five more come after.
            for (int i = 0; i < 30; i++)
            {
                int n = i;
                Fork(async () =>
                {
                    try
                    {
                        await c.PutAsync(n, n % 3 == 0 ? null : TimeSpan.FromSeconds(1));
                    }
                    catch (QueueFullException)
                    {
                    }
                });
            }

            await Gevent.Sleep(2);
            Assert.Equal(10, c.PutterCount);
            for (int i = 30; i < 35; i++)
            {
                int n = i;
                Fork(async () => await c.PutAsync(n));
            }

            await Settle();
            var got = new List<int>();
            while (c.TryGet(out int item))
            {
                got.Add(item);
            }

            Assert.Equal(Enumerable.Range(0, 10).Select(k => 3 * k).Concat(Enumerable.Range(30, 5)), got);
        });
    }

    [Fact]
    public void PutterKilledWhileWaiting_DeliversNothing()
    {
        Run(async () =>
        {
            var c = new Channel<int>();
            Greenlet p = Go(async () => await c.PutAsync(1));
            await Settle();
            await p.KillAsync();
            Assert.False(c.TryGet(out _));
            Assert.Equal(0, c.PutterCount);
        });
    }

    [Fact]
    public void PutterKilledAfterItsItemWasTaken_HasDelivered_AndDiesAtItsNextWait()
    {
        Run(async () =>
        {
            var c = new Channel<int>();
            bool putReturned = false;
            Greenlet p = Go(async () =>
            {
                await c.PutAsync(1);
                putReturned = true;
                await Gevent.Sleep(10);
            });
            await Settle();
            Assert.Equal(1, GetNow(c)); // p is woken, has not run
            p.Kill();
            await p.JoinAsync();
            Assert.True(putReturned);
            Assert.IsType<GreenletExit>(p.Value);
        });
    }

    [Fact]
    public void GetterKilledAfterTheHandOff_PassesTheItemToTheNextGetter()
    {
        Run(async () =>
        {
            var c = new Channel<int>();
            Greenlet first = Go(() => c.GetAsync().AsTask());
            Greenlet<int> second = Go(() => c.GetAsync().AsTask());
            await Settle();
            Assert.True(c.TryPut(8));
            first.Kill();
            Assert.Equal(8, await second);
        });
    }

    [Fact]
    public void GetterKilledAfterTheHandOff_WithNoOtherGetter_KeepsTheItemForTheNextGet()
    {
        Run(async () =>
        {
            var c = new Channel<int>();
            Greenlet first = Go(() => c.GetAsync().AsTask());
            await Settle();
            Assert.True(c.TryPut(8));
            await first.KillAsync();
            Assert.Equal(1, c.Count);
            Assert.Equal(8, GetNow(c));
        });
    }

    [Fact]
    public void Shutdown_FailsWaitingPuttersAndGetters_AndEndsAwaitForeach()
    {
        Run(async () =>
        {
            var c = new Channel<int>();
            var got = new List<int>();
            Greenlet reader = Go(async () =>
            {
                await foreach (int x in c)
                {
                    got.Add(x);
                }
            });
            await c.PutAsync(1);
            await c.PutAsync(2);
            await Settle();
            c.Shutdown();
            await reader.GetAsync();
            Assert.Equal(new[] { 1, 2 }, got);
            await Assert.ThrowsAsync<QueueShutDownException>(async () => await c.PutAsync(3));
            await Assert.ThrowsAsync<QueueShutDownException>(async () => await c.GetAsync());
        });
    }

    [Fact]
    public void ImmediateShutdown_DiscardsAnItemHandedToAGetterThatHasNotRun()
    {
        Run(async () =>
        {
            var c = new Channel<int>();
            Greenlet getter = Go(() => c.GetAsync().AsTask());
            await Settle();
            Assert.True(c.TryPut(1)); // handed to the getter, which has not run
            c.Shutdown(immediate: true);
            await getter.JoinAsync();
            Assert.IsType<QueueShutDownException>(getter.Exception);
            await Assert.ThrowsAsync<QueueShutDownException>(async () => await c.GetAsync());
            await Assert.ThrowsAsync<QueueShutDownException>(async () => await c.PutAsync(2));
        });
    }

    [Fact]
    public void Shutdown_NotImmediate_StillDeliversAnItemHandedToAGetterThatHasNotRun()
    {
        Run(async () =>
        {
            var c = new Channel<int>();
            Greenlet<int> getter = Go(() => c.GetAsync().AsTask());
            await Settle();
            Assert.True(c.TryPut(1));
            c.Shutdown();
            Assert.Equal(1, await getter);
        });
    }

    [Fact]
    public void Get_WithTimeout_ThrowsEmpty_AndPutWithTimeout_ThrowsFull()
    {
        Run(async () =>
        {
            var c = new Channel<int>();
            await Assert.ThrowsAsync<QueueEmptyException>(async () => await c.GetAsync(1.0));
            await Assert.ThrowsAsync<QueueFullException>(async () => await c.PutAsync(1, 1.0));
            Assert.Equal(0, c.PutterCount);
            Assert.Equal(0, c.GetterCount);
        });
    }

    [Fact]
    public void ManyGettersTimingOut_LeaveNoGhost_SoAPutWithoutAGetterFails()
    {
        Run(async () =>
        {
            var c = new Channel<int>();
            var getters = Enumerable.Range(0, 12).Select(_ => Go(() => c.GetAsync(1.0).AsTask())).ToList();
            await Gevent.JoinAllAsync(getters);
            Assert.All(getters, g => Assert.IsType<QueueEmptyException>(g.Exception));
            Assert.Equal(0, c.GetterCount);
            Assert.False(c.TryPut(1)); // threw NullReferenceException when a compaction kept a leaving getter
            Assert.False(c.TryPut(1));
        });
    }
}
