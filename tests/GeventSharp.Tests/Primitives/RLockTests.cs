using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

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
