using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// A greenlet whose body is synchronous runs under its hub's shared synchronization context, not one
/// of its own: work it left behind that posts to the context later runs on the hub, cooperatively,
/// in a new greenlet of its own per post; failures are reported; Send works; posts after the hub
/// finished are dropped and counted. Async bodies keep a context of their own.
/// </summary>
public class SharedContextTests
{
    private static HubOptions Options(Action<Greenlet?, Exception>? onError = null)
        => new() { MonitorThreshold = null, ErrorHandler = onError ?? ((_, e) => throw new Xunit.Sdk.XunitException("unexpected error: " + e)) };

    [Fact]
    public void FireAndForgetAsync_FromASyncBody_CompletesOnTheHub_AndItsAwaitsStayThere()
    {
        var steps = new List<(string Step, int Thread, Greenlet? Current, bool HasContext)>();
        int hubThread = 0;
        Greenlet? spawner = null;
        Gevent.Run(
            async () =>
            {
                hubThread = Environment.CurrentManagedThreadId;
                var foreign = new TaskCompletionSource();
                Task? leftBehind = null;

                async Task LeftBehindAsync()
                {
                    steps.Add(("start", Environment.CurrentManagedThreadId, Greenlet.Current, SynchronizationContext.Current is not null));
                    await foreign.Task; // completed on the thread pool: posted back to the hub
                    steps.Add(("after foreign", Environment.CurrentManagedThreadId, Greenlet.Current, SynchronizationContext.Current is not null));
                    await Gevent.Sleep(0); // a library wait in the greenlet the post started
                    steps.Add(("after sleep", Environment.CurrentManagedThreadId, Greenlet.Current, SynchronizationContext.Current is not null));
                    await Task.Run(() => { }); // foreign again
                    steps.Add(("after second foreign", Environment.CurrentManagedThreadId, Greenlet.Current, SynchronizationContext.Current is not null));
                }

                spawner = Gevent.Spawn(() => { leftBehind = LeftBehindAsync(); });
                await spawner.JoinAsync();
                Assert.True(spawner.Successful);
                Assert.False(leftBehind!.IsCompleted);
                _ = Task.Run(() => foreign.SetResult());
                await leftBehind; // a foreign await: keeps the hub alive until the work is done
            },
            Options());

        Assert.Equal(new[] { "start", "after foreign", "after sleep", "after second foreign" }, steps.Select(s => s.Step));
        Assert.All(steps, s => Assert.Equal(hubThread, s.Thread));
        Assert.All(steps, s => Assert.True(s.HasContext));
        Assert.All(steps, s => Assert.NotNull(s.Current));
        Assert.Same(spawner, steps[0].Current);
        Assert.NotSame(spawner, steps[1].Current); // a greenlet of its own
        Assert.Same(steps[1].Current, steps[2].Current); // the library wait kept that greenlet alive
        Assert.True(steps[1].Current!.Ready); // and it ended once the work went foreign again
        Assert.Equal("posted", steps[1].Current!.Name);
    }

    [Fact]
    public void FireAndForgetAsync_FromASyncBody_ThatFails_IsReported()
    {
        var reported = new List<(Greenlet? Greenlet, Exception Error)>();
        var reportedTask = new TaskCompletionSource();
        Greenlet? spawner = null;
        Gevent.Run(
            async () =>
            {
                var foreign = new TaskCompletionSource();

                async void LeftBehind()
                {
                    await foreign.Task;
                    throw new InvalidOperationException("left behind failed");
                }

                spawner = Gevent.Spawn(LeftBehind);
                await spawner.JoinAsync();
                _ = Task.Run(() => foreign.SetResult());
                await reportedTask.Task;
            },
            Options((g, e) =>
            {
                reported.Add((g, e));
                reportedTask.TrySetResult();
            }));

        (Greenlet? g, Exception error) = Assert.Single(reported);
        Assert.Equal("left behind failed", error.Message);
        Assert.NotNull(g);
        Assert.NotSame(spawner, g);
        Assert.Same(error, g!.Exception);
    }

    [Fact]
    public void SyncBody_SeesAContext_WhosePostAndSendRunOnTheHub_InAGreenlet()
    {
        int hubThread = 0;
        SynchronizationContext? seen = null;
        var posted = new TaskCompletionSource<(int Thread, Greenlet? Current)>(TaskCreationOptions.RunContinuationsAsynchronously);
        (int Thread, Greenlet? Current) sent = default;
        (int Thread, Greenlet? Current) sentOnHub = default;
        Gevent.Run(
            async () =>
            {
                hubThread = Environment.CurrentManagedThreadId;
                await Gevent.Spawn(() =>
                {
                    seen = SynchronizationContext.Current;
                    seen!.Send(_ => sentOnHub = (Environment.CurrentManagedThreadId, Greenlet.Current), null); // inline on the hub
                }).JoinAsync();
                Assert.NotNull(seen);
                _ = Task.Run(() => seen!.Post(_ => posted.SetResult((Environment.CurrentManagedThreadId, Greenlet.Current)), null));
                (int, Greenlet?) p = await posted.Task;
                Assert.Equal(hubThread, p.Item1);
                Assert.NotNull(p.Item2);
                await Task.Run(() => seen!.Send(_ => sent = (Environment.CurrentManagedThreadId, Greenlet.Current), null));
            },
            Options());

        Assert.Equal(hubThread, sent.Thread);
        Assert.NotNull(sent.Current);
        Assert.Equal(hubThread, sentOnHub.Thread);
        Assert.NotNull(sentOnHub.Current);
    }

    [Fact]
    public void Send_FromAnotherThread_RethrowsWhatTheCallbackThrew()
    {
        Exception? caught = null;
        Gevent.Run(
            async () =>
            {
                SynchronizationContext? ctx = null;
                await Gevent.Spawn(() => { ctx = SynchronizationContext.Current; }).JoinAsync();
                caught = await Task.Run(() => Record.Exception(() => ctx!.Send(_ => throw new FormatException("sent"), null)));
            },
            Options());

        Assert.IsType<FormatException>(caught);
    }

    [Fact]
    public void PostAfterTheHubFinished_IsDropped_AndCounted()
    {
        SynchronizationContext? ctx = null;
        Hub? hub = null;
        Gevent.Run(
            async () =>
            {
                hub = Hub.Current;
                await Gevent.Spawn(() => { ctx = SynchronizationContext.Current; }).JoinAsync();
            },
            Options());

        int before = hub!.DroppedAfterClose;
        bool ran = false;
        ctx!.Post(_ => ran = true, null);
        Assert.False(ran);
        Assert.Equal(before + 1, hub.DroppedAfterClose);
        Assert.Throws<InvalidOperationException>(() => ctx.Send(_ => ran = true, null));
        Assert.False(ran);
    }

    [Fact]
    public void SyncBodies_ShareOneContext_AsyncBodiesHaveTheirOwn()
    {
        var seen = new List<SynchronizationContext?>();
        Gevent.Run(
            async () =>
            {
                Greenlet a = Gevent.Spawn(() => seen.Add(SynchronizationContext.Current));
                Greenlet<int> b = Gevent.Spawn(() => { seen.Add(SynchronizationContext.Current); return 1; });
                Greenlet c = Gevent.Spawn(static (List<SynchronizationContext?> s) => s.Add(SynchronizationContext.Current), seen);
                Greenlet d = Gevent.Spawn(async () => { seen.Add(SynchronizationContext.Current); await Gevent.Sleep(0); seen.Add(SynchronizationContext.Current); });
                Greenlet e = Gevent.Spawn(async () => { seen.Add(SynchronizationContext.Current); await Task.Yield(); });
                await Gevent.JoinAllAsync(new[] { a, b, c, d, e });
            },
            Options());

        Assert.Equal(6, seen.Count);
        Assert.All(seen, Assert.NotNull);
        Assert.Same(seen[0], seen[1]);
        Assert.Same(seen[0], seen[2]);
        Assert.NotSame(seen[0], seen[3]);
        Assert.NotSame(seen[0], seen[4]);
        Assert.NotSame(seen[3], seen[4]);
        Assert.Same(seen[3], seen[5]);
    }

    [Fact]
    public void LeftBehindWork_ResumedInline_ByAnotherSyncBody_MayWaitOnTheLibrary_InThatGreenlet()
    {
        // .NET runs a continuation inline when the task completes under the context it captured: work
        // left behind by one sync body, resumed by another (same shared context), runs in the other's
        // step. A library wait there keeps that greenlet alive until the wait is over.
        var steps = new List<string>();
        Gevent.Run(
            async () =>
            {
                var gate = new TaskCompletionSource();
                Task? leftBehind = null;

                async Task LeftBehindAsync()
                {
                    await gate.Task;
                    steps.Add("resumed in " + Greenlet.Current!.Name);
                    await Gevent.Sleep(1);
                    steps.Add("slept in " + Greenlet.Current!.Name);
                }

                Greenlet first = Gevent.Spawn(() => { leftBehind = LeftBehindAsync(); });
                first.Name = "first";
                await first.JoinAsync();
                Greenlet second = Gevent.Spawn(() => gate.SetResult());
                second.Name = "second";
                await Gevent.Sleep(0);
                Assert.False(second.Ready); // in the library wait the left-behind work started
                await second.JoinAsync();
                Assert.True(leftBehind!.IsCompletedSuccessfully);
                Assert.True(second.Successful);
            },
            new HubOptions { TimeProvider = new VirtualClock(), MonitorThreshold = null });

        Assert.Equal(new[] { "resumed in second", "slept in second" }, steps);
    }

    [Fact]
    public void SyncBodyWithAResult_LeftInALibraryWait_KeepsItsResult()
    {
        Gevent.Run(
            async () =>
            {
                var gate = new TaskCompletionSource();

                async Task LeftBehindAsync()
                {
                    await gate.Task;
                    await Gevent.Sleep(1);
                }

                await Gevent.Spawn(() => { _ = LeftBehindAsync(); }).JoinAsync();
                Greenlet<int> g = Gevent.Spawn(() => { gate.SetResult(); return 7; });
                Assert.Equal(7, await g);
            },
            new HubOptions { TimeProvider = new VirtualClock(), MonitorThreshold = null });
    }
}
