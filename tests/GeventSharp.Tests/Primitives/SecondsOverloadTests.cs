using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

/// <summary>
/// The seconds forms of the pool, group and lock waits mean what their <see cref="TimeSpan"/>
/// forms mean (existence of every pair is checked by <c>DurationOverloadTests</c>).
/// </summary>
public sealed class SecondsOverloadTests
{
    [Fact]
    public void PoolSpawnAsync_Seconds_ThrowsFullAfterThatLong()
    {
        var h = Run(async () =>
        {
            var pool = new Pool(1);
            _ = pool.Spawn(async () => await Gevent.Sleep(5));
            await Assert.ThrowsAsync<QueueFullException>(async () => await pool.SpawnAsync(() => Task.CompletedTask, 1.5));
        });
        Assert.Equal(TimeSpan.FromSeconds(1.5), h.Elapsed); // the member still running is killed when main ends
    }

    [Fact]
    public void GroupAddAsync_Seconds_ThrowsFullAfterThatLong()
    {
        TimeSpan gaveUp = default;
        Run(async () =>
        {
            var pool = new Pool(1);
            _ = pool.Spawn(async () => await Gevent.Sleep(5));
            Greenlet extra = Gevent.Spawn(() => Task.CompletedTask);
            long start = Hub.Current!.TimeProvider.GetTimestamp();
            await Assert.ThrowsAsync<QueueFullException>(async () => await pool.AddAsync(extra, 2));
            gaveUp = Hub.Current.TimeProvider.GetElapsedTime(start);
            Assert.False(pool.Contains(extra));
        });
        Assert.Equal(TimeSpan.FromSeconds(2), gaveUp);
    }

    [Fact]
    public void GroupKillAsync_Seconds_GivesUpOnAMemberThatOutlivesTheKill()
    {
        Run(async () =>
        {
            var group = new Group();
            Greenlet stubborn = group.Spawn(async () =>
            {
                try
                {
                    await Gevent.Sleep(10);
                }
                finally
                {
                    // Cleanup that takes 3 s: shielded, since the kill's exit stands (an unshielded
                    // wait after the kill would raise it again).
                    await Gevent.ShieldAsync(async () => await Gevent.Sleep(3));
                }
            });
            await Gevent.Sleep(0);
            Assert.False(await group.KillAsync(null, 1));
            Assert.False(stubborn.Ready);
            Assert.False(await group.KillOneAsync(stubborn, null, 5.0)); // already dying: neither shot nor waited on again (gevent's killone)
            Assert.True(await stubborn.JoinAsync(5.0));
        });
    }

    [Fact]
    public void AcquireScopeAsync_Seconds_ThrowsTimeoutAfterThatLong()
    {
        var h = Run(async () =>
        {
            var sem = new Semaphore(1);
            var rlock = new RLock();
            using (await sem.AcquireScopeAsync())
            {
                await Assert.ThrowsAsync<Timeout>(async () => await Gevent.Spawn(async () => { using (await sem.AcquireScopeAsync(0.5)) { } }).GetAsync());
            }

            using (await rlock.AcquireScopeAsync())
            {
                await Assert.ThrowsAsync<Timeout>(async () => await Gevent.Spawn(async () => { using (await rlock.AcquireScopeAsync(0.5)) { } }).GetAsync());
            }
        });
        Assert.Equal(TimeSpan.FromSeconds(1), h.Elapsed);
    }
}
