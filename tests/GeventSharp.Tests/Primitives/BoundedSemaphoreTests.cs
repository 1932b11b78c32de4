using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

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
