using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Core;

public class VirtualClockTests
{
    [Fact]
    public void Sleep_JumpsTheClock_ExactlyAndInstantly()
    {
        var clock = new VirtualClock();
        var wall = System.Diagnostics.Stopwatch.StartNew();
        Gevent.Run(async () => await Gevent.Sleep(3600), new HubOptions { TimeProvider = clock });

        Assert.Equal(TimeSpan.FromHours(1), clock.Elapsed);
        Assert.Equal(1, clock.Jumps);
        Assert.True(wall.Elapsed < TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void Timers_FireInDueOrder_TiesInStartOrder()
    {
        var log = new List<string>();
        new HubHarness().Run(async () =>
        {
            Greenlet Later(double s, string name) => Gevent.SpawnLater(s, () => log.Add(name));
            await Gevent.JoinAllAsync(new[] { Later(2, "two"), Later(1, "one-a"), Later(1, "one-b"), Later(0.5, "half") });
        });

        Assert.Equal(new[] { "half", "one-a", "one-b", "two" }, log);
    }

    [Fact]
    public void Advance_MovesTimeByHand()
    {
        var clock = new VirtualClock();
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromSeconds(5), clock.Elapsed);
        Assert.Equal(new DateTimeOffset(2000, 1, 1, 0, 0, 5, TimeSpan.Zero), clock.GetUtcNow());
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.Advance(TimeSpan.FromSeconds(-1)));
    }
}
