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
                await Task.Delay(1, Greenlet.Current!.CancellationToken); // real-time: a foreign timer must resume in the greenlet's own context
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

    [Fact]
    public void ConfigureAwaitFalse_OnGeventSharpWaits_StaysInTheGreenlet()
    {
        var h = new GeventSharp.Testing.HubHarness();
        h.Run(async () =>
        {
            Greenlet me = Greenlet.Current!;
            await Gevent.Sleep(1).ConfigureAwait(false);
            Assert.Same(me, Greenlet.Current);
            var ev = new Event();
            Gevent.SpawnLater(1, () => ev.Set());
            await ev.WaitAsync().ConfigureAwait(false);
            Assert.Same(me, Greenlet.Current);
        });
        Assert.Equal(TimeSpan.FromSeconds(2), h.Elapsed);
    }

    [Fact]
    public void ConfigureAwaitFalse_OnATaskCompletedOnTheHub_LeavesTheHub_AndTheErrorSaysSo()
    {
        // .NET queues a ConfigureAwait(false) continuation of a Task to the thread pool when the task
        // completes under a non-default synchronization context (the greenlet's). The library cannot
        // prevent it; it must at least say what happened when the code next touches the hub.
        static async Task<int> OnTheHubAsync()
        {
            await Gevent.Sleep(0);
            return 1;
        }

        Exception? error = null;
        Gevent.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(async () =>
            {
                #pragma warning disable GS0003 // the test checks what ConfigureAwait(false) does to a greenlet
                await OnTheHubAsync().ConfigureAwait(false);
                #pragma warning restore GS0003
                await Gevent.Sleep(0);
            });
            error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await g.GetAsync());
        }, new HubOptions { ErrorHandler = (_, _) => { } });

        Assert.Contains("ConfigureAwait(false)", error!.Message, StringComparison.Ordinal);
    }
}
