using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// Greenlet code always runs under its own synchronization context, whatever ran before it on the
/// hub, and the thread gets its own context back when <c>Gevent.Run</c> returns.
/// </summary>
public class HubContextTests
{
    [Fact]
    public void EachGreenlet_SeesItsOwnContext_AcrossSwitchesTimersAndForeignAwaits()
    {
        var seen = new List<(string Who, SynchronizationContext? Context)>();
        Gevent.Run(async () =>
        {
            async Task Body(string who)
            {
                seen.Add((who, SynchronizationContext.Current));
                await Gevent.Sleep(0);
                seen.Add((who, SynchronizationContext.Current));
                await Gevent.Sleep(0.001);
                seen.Add((who, SynchronizationContext.Current));
                await Task.Delay(1); // real-time: a foreign timer must resume in the greenlet's own context
                seen.Add((who, SynchronizationContext.Current));
                Assert.Equal(who, Greenlet.Current!.Name);
            }

            Greenlet a = Gevent.Spawn(Body, "a");
            a.Name = "a";
            Greenlet b = Gevent.Spawn(Body, "b");
            b.Name = "b";
            await Gevent.JoinAllAsync(new[] { a, b });
        });

        Assert.Equal(8, seen.Count);
        foreach (var group in seen.GroupBy(s => s.Who))
        {
            Assert.All(group, s => Assert.NotNull(s.Context));
            Assert.Single(group.Select(s => s.Context).Distinct());
        }

        Assert.NotSame(seen.First(s => s.Who == "a").Context, seen.First(s => s.Who == "b").Context);
    }

    [Fact]
    public void Run_RestoresCallersContext()
    {
        SynchronizationContext? before = SynchronizationContext.Current;
        Gevent.Run(async () => await Gevent.Sleep(0));
        Assert.Same(before, SynchronizationContext.Current);
    }
}
