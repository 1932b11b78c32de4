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
            Assert.False(await s.AcquireAsync(blocking: false));
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

public sealed class BoundedSemaphoreTests
{
    [Fact]
    public void ReleasePastTheInitialValue_Throws_AndChangesNothing()
    {
        Run(async () =>
        {
            var s = new BoundedSemaphore(2);
            await s.AcquireAsync();
            s.Release();
            var e = Assert.Throws<SemaphoreFullException>(() => s.Release());
            Assert.Equal("Semaphore released too many times", e.Message);
            Assert.Equal(2, s.Counter);
        });
    }

    [Fact]
    public void OnlyTwoWorkersHoldIt_AtOnce()
    {
        Run(async () =>
        {
            var s = new BoundedSemaphore(2);
            int holders = 0, max = 0;
            var ws = Enumerable.Range(0, 6).Select(_ => Go(async () =>
            {
                using (await s.AcquireScopeAsync())
                {
                    max = Math.Max(max, ++holders);
                    await Gevent.Sleep(0.1);
                    holders--;
                }
            })).ToList();
            await Gevent.JoinAllAsync(ws);
            Assert.Equal(2, max);
            Assert.Equal(2, s.Counter);
        });
    }
}

public sealed class DummySemaphoreTests
{
    [Fact]
    public void NeverBlocks_AndReleaseDoesNothing()
    {
        Run(async () =>
        {
            var s = new DummySemaphore();
            for (int i = 0; i < 100; i++)
            {
                Assert.True(await s.AcquireAsync());
            }

            s.Release();
            s.Release();
            Assert.False(s.Locked);
            Assert.True(await s.WaitAsync(TimeSpan.Zero));
            Assert.Equal("<DummySemaphore>", s.ToString());
        });
    }
}

public sealed class LockTests
{
    [Fact]
    public void ReleasingAnUnlockedLock_Throws()
    {
        Run(() =>
        {
            var l = new Lock();
            Assert.Throws<InvalidOperationException>(() => l.Release());
            return Task.CompletedTask;
        });
    }

    [Fact]
    public void AnyGreenletMayRelease_ItIsNotOwned()
    {
        Run(async () =>
        {
            var l = new Lock();
            await l.AcquireAsync();
            await GoWait(() => { l.Release(); return Task.CompletedTask; });
            Assert.False(l.Locked);
        });
    }

    [Fact]
    public void ExcludesOtherGreenlets_WhileHeld()
    {
        Run(async () =>
        {
            var l = new Lock();
            var log = new List<string>();
            async Task Critical(string name)
            {
                using (await l.AcquireScopeAsync())
                {
                    log.Add(name + " in");
                    await Gevent.Sleep(1);
                    log.Add(name + " out");
                }
            }

            await Gevent.JoinAllAsync(new[] { Go(() => Critical("a")), Go(() => Critical("b")) });
            Assert.Equal(new[] { "a in", "a out", "b in", "b out" }, log);
        });
    }
}

public sealed class RLockTests
{
    [Fact]
    public void Owner_MayAcquireAgain_AndMustReleaseAsOften()
    {
        Run(async () =>
        {
            var l = new RLock();
            Assert.True(await l.AcquireAsync());
            Assert.True(await l.AcquireAsync());
            Assert.Equal(2, l.Count);
            Assert.Same(Greenlet.Current, l.Owner);
            l.Release();
            Assert.True(l.Locked);
            l.Release();
            Assert.False(l.Locked);
            Assert.Null(l.Owner);
        });
    }

    [Fact]
    public void ReleaseByANonOwner_Throws()
    {
        Run(async () =>
        {
            var l = new RLock();
            await l.AcquireAsync();
            Greenlet other = Go(() => { l.Release(); return Task.CompletedTask; });
            await other.JoinAsync();
            Assert.IsType<InvalidOperationException>(other.Exception);
            Assert.Contains("cannot release un-acquired lock", other.Exception!.Message);
            Assert.Equal(1, l.Count);
        });
    }

    [Fact]
    public void OtherGreenlets_WaitUntilTheLastRelease()
    {
        Run(async () =>
        {
            var l = new RLock();
            await l.AcquireAsync();
            await l.AcquireAsync();
            Greenlet<bool> w = Go(() => l.AcquireAsync().AsTask());
            await Settle();
            l.Release();
            await Settle();
            Assert.False(w.Ready);
            l.Release();
            Assert.True(await w);
            Assert.Same(w, l.Owner);
        });
    }

    [Fact]
    public void WaiterKilledAfterOwnershipWasHandedToIt_PassesItOn()
    {
        Run(async () =>
        {
            var l = new RLock();
            await l.AcquireAsync();
            Greenlet first = Go(() => l.AcquireAsync().AsTask());
            Greenlet<bool> second = Go(async () => { bool ok = await l.AcquireAsync(); return ok && ReferenceEquals(l.Owner, Greenlet.Current); });
            await Settle();
            l.Release(); // hands ownership to first, which has not run
            first.Kill();
            Assert.True(await second);
        });
    }

    [Fact]
    public void OwnerIsPerGreenlet_AnotherGreenletCannotTryAcquireIt()
    {
        Run(async () =>
        {
            var l = new RLock();
            await l.AcquireAsync();
            Assert.False(await Go(() => Task.FromResult(l.TryAcquire())));
            using (await l.AcquireScopeAsync())
            {
                Assert.Equal(2, l.Count);
            }

            Assert.Equal(1, l.Count);
        });
    }
}
