using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

public sealed class SemaphoreTests
{
    [Fact]
    public void Acquire_TakesPermits_UntilNoneAreLeft()
    {
        Run(async () =>
        {
            var s = new Semaphore(2);
            Assert.True(await s.AcquireAsync());
            Assert.True(s.TryAcquire());
            Assert.Equal(0, s.Counter);
            Assert.True(s.Locked);
            Assert.False(await s.AcquireAsync(TimeSpan.Zero));
            Assert.False(await s.AcquireAsync(0.5));
        });
    }

    [Fact]
    public void Release_HandsThePermitToTheLongestWaiter_NoBarging()
    {
        Run(async () =>
        {
            var s = new Semaphore(1);
            await s.AcquireAsync();
            var order = new List<string>();
            Greenlet w = Go(async () => { await s.AcquireAsync(); order.Add("waiter"); s.Release(); });
            await Settle();
            s.Release();
            Assert.False(s.TryAcquire()); // the permit went to the waiter, not to the counter
            Assert.Equal(0, s.Counter);
            await s.AcquireAsync();      // queues behind the waiter
            order.Add("releaser");
            await w.GetAsync();
            Assert.Equal(new[] { "waiter", "releaser" }, order);
        });
    }

    [Fact]
    public void WaitAsync_WaitsForAFreePermit_WithoutTakingIt()
    {
        Run(async () =>
        {
            var s = new Semaphore(0);
            Greenlet<bool> w = Go(() => s.WaitAsync().AsTask());
            await Settle();
            s.Release();
            Assert.True(await w);
            Assert.Equal(1, s.Counter);
        });
    }

    [Fact]
    public void AcquireScope_ReleasesOnDispose_EvenWhenTheBlockThrows()
    {
        Run(async () =>
        {
            var s = new Semaphore(1);
            await Assert.ThrowsAsync<FormatException>(async () =>
            {
                using (await s.AcquireScopeAsync())
                {
                    Assert.Equal(0, s.Counter);
                    throw new FormatException();
                }
            });
            Assert.Equal(1, s.Counter);
        });
    }

    [Fact]
    public void AcquireScope_WithTimeout_ThrowsTimeout_AndHoldsNothing()
    {
        Run(async () =>
        {
            var s = new Semaphore(0);
            await Assert.ThrowsAsync<Timeout>(async () =>
            {
                using (await s.AcquireScopeAsync(TimeSpan.FromSeconds(1)))
                {
                }
            });
            Assert.Equal(0, s.AcquirerCount);
        });
    }

    [Fact]
    public void KilledHolder_ReleasesInFinally_AndTheNextWaiterProceeds()
    {
        Run(async () =>
        {
            var s = new Semaphore(1);
            Greenlet holder = Go(async () =>
            {
                using (await s.AcquireScopeAsync())
                {
                    await Gevent.Sleep(100);
                }
            });
            Greenlet<bool> next = Go(() => s.AcquireAsync().AsTask());
            await Settle();
            holder.Kill();
            Assert.True(await next);
        });
    }

    [Fact]
    public void NegativeValue_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Semaphore(-1));
    }

    [Fact]
    public void ToString_ShowsCounterAndAcquirers()
    {
        Run(async () =>
        {
            var s = new Semaphore(1);
            await s.AcquireAsync();
            Fork(async () => await s.AcquireAsync());
            await Settle();
            Assert.Equal("<Semaphore counter=0/1, 1 acquirer>", s.ToString());
        });
    }
}
