using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

public sealed class QueueTests
{
    [Fact]
    public void Items_ComeOut_InTheOrderTheyWentIn()
    {
        Run(async () =>
        {
            var q = new FifoQueue<int>();
            for (int i = 1; i <= 3; i++)
            {
                await q.PutAsync(i);
            }

            Assert.Equal(3, q.Count);
            Assert.Equal(new[] { 1, 2, 3 }, new[] { await q.GetAsync(), GetNow(q), await q.GetAsync() });
            Assert.True(q.IsEmpty);
        });
    }

    [Fact]
    public void DefaultAndZeroMaxSize_AreUnbounded()
    {
        Run(() =>
        {
            Assert.Null(new FifoQueue<int>().MaxSize);
            var q = new FifoQueue<int>(0);
            Assert.Null(q.MaxSize);
            for (int i = 0; i < 1000; i++)
            {
                Assert.True(q.TryPut(i));
            }

            Assert.False(q.IsFull);
            return Task.CompletedTask;
        });
    }

    [Fact]
    public void Put_OnFullQueue_WaitsUntilAGetMakesRoom()
    {
        var h = Run(async () =>
        {
            var q = new FifoQueue<int>(1);
            await q.PutAsync(1);
            Assert.True(q.IsFull);
            Fork(async () => { await Gevent.Sleep(2); Assert.Equal(1, await q.GetAsync()); });
            await q.PutAsync(2);
            Assert.Equal(2, GetNow(q));
        });
        Assert.Equal(TimeSpan.FromSeconds(2), h.Elapsed);
    }

    [Fact]
    public void TryPut_OnFullQueue_ReturnsFalse_AndTryGetOnEmptyQueue_ReturnsFalse_ZeroTimeoutsThrow()
    {
        Run(async () =>
        {
            var q = new FifoQueue<int>(1);
            Assert.False(q.TryGet(out _));
            Assert.True(q.TryPut(1));
            Assert.False(q.TryPut(2));
            await Assert.ThrowsAsync<QueueFullException>(async () => await q.PutAsync(2, TimeSpan.Zero));
            await Assert.ThrowsAsync<QueueEmptyException>(async () => await new FifoQueue<int>().GetAsync(TimeSpan.Zero));
            await Assert.ThrowsAsync<QueueFullException>(async () => await q.PutAsync(2, 1.5));
            Assert.False(q.TryPut(2));
            Assert.Equal(1, q.Count);
        });
    }

    [Fact]
    public void Get_WithTimeout_ThrowsEmptyAfterIt()
    {
        var h = Run(async () =>
        {
            var q = new FifoQueue<string>();
            await Assert.ThrowsAsync<QueueEmptyException>(async () => await q.GetAsync(1.5));
            Assert.Equal(0, q.GetterCount);
        });
        Assert.Equal(TimeSpan.FromSeconds(1.5), h.Elapsed);
    }

    [Fact]
    public void Put_PromisesTheItemToTheWaitingGetter_AndDoesNotRunIt()
    {
        Run(async () =>
        {
            var q = new FifoQueue<int>();
            var got = new List<int>();
            Greenlet g = Go(async () => got.Add(await q.GetAsync()));
            await Settle();
            Assert.True(q.TryPut(7));
            Assert.Empty(got);      // scheduled, not run inline
            Assert.Equal(0, q.Count); // promised to the getter
            Assert.False(q.TryGet(out _));
            await g.GetAsync();
            Assert.Equal(new[] { 7 }, got);
        });
    }

    [Fact]
    public void Peek_ReturnsTheNextItemWithoutRemovingIt()
    {
        Run(async () =>
        {
            var q = new FifoQueue<int>();
            Assert.False(q.TryPeek(out _));
            Greenlet<int> peeker = Go(() => q.PeekAsync().AsTask());
            await Settle();
            Assert.True(q.TryPut(9));
            Assert.Equal(9, await peeker);
            Assert.Equal(9, PeekNow(q));
            Assert.True(q.TryPeek(out int p) && p == 9);
            Assert.Equal(1, q.Count);
        });
    }

    [Fact]
    public void BlockedPeekersAndGetters_AreServedInTheOrderTheyCame()
    {
        Run(async () =>
        {
            var q = new FifoQueue<int>();
            var log = new List<string>();
            var ws = new List<Greenlet>
            {
                Go(async () => log.Add($"peek {await q.PeekAsync()}")),
                Go(async () => log.Add($"get {await q.GetAsync()}")),
                Go(async () => log.Add($"peek {await q.PeekAsync(1.0)}")),
            };
            await Settle();
            Assert.Equal(3, q.GetterCount);
            Assert.True(q.TryPut(1));
            await Gevent.JoinAllAsync(ws.Take(2));
            Assert.Equal(new[] { "peek 1", "get 1" }, log);
            await ws[2].JoinAsync();
            Assert.IsType<QueueEmptyException>(ws[2].Exception); // the item was taken before its turn; it timed out
        });
    }

    [Fact]
    public void AwaitForeach_TakesItemsUntilShutDownAndDrained()
    {
        Run(async () =>
        {
            var q = new FifoQueue<int>();
            Fork(async () =>
            {
                for (int i = 0; i < 5; i++)
                {
                    await q.PutAsync(i);
                    await Gevent.Sleep(0.1);
                }

                q.Shutdown();
            });
            var got = new List<int>();
            await foreach (int x in q)
            {
                got.Add(x);
            }

            Assert.Equal(new[] { 0, 1, 2, 3, 4 }, got);
        });
    }

    [Fact]
    public void Shutdown_FailsBlockedAndLaterPutters_AndGettersAfterTheItemsDrain()
    {
        Run(async () =>
        {
            var q = new FifoQueue<int>(1);
            Assert.True(q.TryPut(1));
            Greenlet putter = Go(async () => await q.PutAsync(2));
            await Settle();
            q.Shutdown();
            await putter.JoinAsync();
            Assert.IsType<QueueShutDownException>(putter.Exception);
            await Assert.ThrowsAsync<QueueShutDownException>(async () => await q.PutAsync(3));
            Assert.False(q.TryPut(3));
            Assert.Equal(1, await q.GetAsync()); // still drains
            await Assert.ThrowsAsync<QueueShutDownException>(async () => await q.GetAsync());
            Assert.True(q.IsShutDown);
        });
    }

    [Fact]
    public void Shutdown_WakesBlockedGettersWithShutDown()
    {
        Run(async () =>
        {
            var q = new FifoQueue<int>();
            Greenlet getter = Go(() => q.GetAsync().AsTask());
            await Settle();
            q.Shutdown();
            await getter.JoinAsync();
            Assert.IsType<QueueShutDownException>(getter.Exception);
        });
    }

    [Fact]
    public void ImmediateShutdown_DiscardsItems_EvenOnesPromisedToWokenGetters()
    {
        Run(async () =>
        {
            var q = new FifoQueue<int>();
            Greenlet getter = Go(() => q.GetAsync().AsTask());
            await Settle();
            Assert.True(q.TryPut(1)); // promised to the getter
            Assert.True(q.TryPut(2));
            q.Shutdown(immediate: true);
            await getter.JoinAsync();
            Assert.IsType<QueueShutDownException>(getter.Exception);
            await Assert.ThrowsAsync<QueueShutDownException>(async () => await q.GetAsync());
        });
    }

    [Fact]
    public void KilledWokenGetter_PassesItsItemToTheNextGetter()
    {
        Run(async () =>
        {
            var q = new FifoQueue<int>();
            Greenlet first = Go(() => q.GetAsync().AsTask());
            Greenlet<int> second = Go(() => q.GetAsync().AsTask());
            await Settle();
            Assert.True(q.TryPut(5));  // promised to first
            first.Kill();    // before it ran
            Assert.Equal(5, await second);
            Assert.IsType<GreenletExit>(first.Value);
        });
    }

    [Fact]
    public void KilledWokenPutter_GivesItsRoomToTheNextPutter()
    {
        Run(async () =>
        {
            var q = new FifoQueue<int>(1);
            Assert.True(q.TryPut(0));
            Greenlet first = Go(async () => await q.PutAsync(1));
            Greenlet second = Go(async () => await q.PutAsync(2));
            await Settle();
            Assert.Equal(0, GetNow(q)); // room promised to first
            first.Kill();
            await second.GetAsync();
            Assert.Equal(2, GetNow(q));
            Assert.True(q.IsEmpty);
        });
    }

    [Fact]
    public void UseOffTheHubThread_Throws()
    {
        var q = new FifoQueue<int>();
        var c = new Channel<int>();
        Assert.Throws<InvalidOperationException>(() => q.TryPut(1));
        Assert.Throws<InvalidOperationException>(() => q.TryGet(out _));
        Assert.Throws<InvalidOperationException>(() => q.TryPeek(out _));
        Assert.Throws<InvalidOperationException>(() => q.TryPeek(out _));
        Assert.Throws<InvalidOperationException>(() => q.PeekAsync());
        Assert.Throws<InvalidOperationException>(() => c.TryPut(1));
    }

    [Fact]
    public void Peek_AfterShutdown_SeesWhatIsLeft_ThenThrowsShutDown()
    {
        Run(async () =>
        {
            var q = new FifoQueue<int>();
            Greenlet blockedPeeker = Go(() => q.PeekAsync().AsTask());
            await Settle();
            q.Shutdown();
            await blockedPeeker.JoinAsync();
            Assert.IsType<QueueShutDownException>(blockedPeeker.Exception);

            var r = new FifoQueue<int>();
            Assert.True(r.TryPut(4));
            r.Shutdown();
            Assert.Equal(4, await r.PeekAsync());
            Assert.Equal(4, GetNow(r));
            await Assert.ThrowsAsync<QueueShutDownException>(async () => await r.PeekAsync());
            await Assert.ThrowsAsync<QueueShutDownException>(async () => await r.PeekAsync());
            Assert.False(r.TryPeek(out _));
        });
    }

    [Fact]
    public void ToString_ShowsSizeAndWaiters()
    {
        Run(async () =>
        {
            var q = new FifoQueue<int>(3);
            Assert.True(q.TryPut(1));
            Assert.Equal("<FifoQueue<Int32> 1/3 items, 0 getters, 0 putters>", q.ToString());
            await Task.CompletedTask;
        });
    }
}

/// <summary>
/// gevent.queue.SimpleQueue (Python's unbounded SimpleQueue) maps to an unbounded <see cref="FifoQueue{T}"/>:
/// put never waits, FIFO, get waits, a get that times out raises Empty.
/// </summary>
public sealed class SimpleQueueMappingTests
{
    [Fact]
    public void SimpleQueue_IsAnUnboundedQueue()
    {
        Run(async () =>
        {
            var s = new FifoQueue<int>(); // gevent.queue.SimpleQueue()
            await s.PutAsync(1);
            await s.PutAsync(2, TimeSpan.Zero); // put(block=True, timeout=0) never waits
            Assert.Equal(2, s.Count);
            Assert.Equal(1, await s.GetAsync());
            Assert.True(s.TryGet(out int second));
            Assert.Equal(2, second);
            Assert.True(s.IsEmpty);
            Assert.Null(s.MaxSize);
            await Assert.ThrowsAsync<QueueEmptyException>(async () => await s.GetAsync(0.01));
        });
    }
}
