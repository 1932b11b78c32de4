using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

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
