using Xunit;

namespace GeventSharp.Tests.Core;

public class HubMonitorTests
{
    [Fact]
    public void GreenletThatBlocksTheHub_IsReported()
    {
        var reports = new List<(Greenlet? Greenlet, Exception Error)>();
        Event reported = null!;
        Gevent.Run(
            async () =>
            {
                reported = new Event();
                Greenlet sleeper = Gevent.Spawn(SleepUntilTheMonitorReports);
                sleeper.Name = "sleeper";
                await sleeper.JoinAsync();
                Assert.True(await reported.WaitAsync(TimeSpan.FromSeconds(60)), "no report arrived");
            },
            new HubOptions
            {
                MonitorThreshold = TimeSpan.FromMilliseconds(100),
                ErrorHandler = (g, e) =>
                {
                    reports.Add((g, e));
                    reported.Set();
                },
            });
        var (greenlet, error) = Assert.Single(reports);
        var blocked = Assert.IsType<HubBlockedException>(error);
        Assert.Equal("sleeper", greenlet!.Name);
        Assert.Same(greenlet, blocked.Greenlet);
        Assert.True(blocked.Held >= TimeSpan.FromMilliseconds(100));
        Assert.Contains("sleeper", blocked.Message);
        Assert.Contains("HubMonitorTests", blocked.Message); // the function it was running
    }

    [Fact]
    public void WithAStackCapture_TheReportShowsWhereTheHubIsBlocked()
    {
        // The greenlet blocks the hub until the snapshot has been taken, and main waits for the
        // report itself: however slow the snapshot is on a given machine, nothing races.
        using var captured = new ManualResetEventSlim();
        var reports = new List<Exception>();
        Event reported = null!;
        Gevent.Run(
            async () =>
            {
                reported = new Event();
                Greenlet blocker = Gevent.Spawn(() => BlockTheHub(captured));
                await blocker.JoinAsync();
                Assert.True(await reported.WaitAsync(TimeSpan.FromSeconds(60)), "no report arrived");
            },
            new HubOptions
            {
                MonitorThreshold = TimeSpan.FromMilliseconds(100),
                MonitorStackCapture = thread =>
                {
                    try
                    {
                        return GeventSharp.Diagnostics.HubStacks.Capture(thread);
                    }
                    finally
                    {
                        captured.Set();
                    }
                },
                ErrorHandler = (g, e) =>
                {
                    reports.Add(e);
                    reported.Set();
                },
            });
        var blocked = Assert.IsType<HubBlockedException>(Assert.Single(reports));
        Assert.NotNull(blocked.BlockedStack);
        Assert.Contains(nameof(ManualResetEventSlim) + ".Wait", blocked.BlockedStack);
        Assert.Contains(nameof(BlockTheHub), blocked.BlockedStack);
        Assert.Contains("Blocked at:", blocked.Message);
    }

    /// <summary>
    /// Blocks the hub thread (the mistake the monitor exists to catch) until the monitor has
    /// reported it, so the test does not depend on how fast the monitor thread gets scheduled.
    /// </summary>
    private static void SleepUntilTheMonitorReports()
    {
        HubMonitor monitor = Hub.Current!.Monitor!;
        long deadline = Environment.TickCount64 + 60_000;
        while (monitor.Reported == 0 && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(5); // real-time: the blocking call the monitor must catch
        }
    }

    /// <summary>A synchronous wait on the hub thread, held until the monitor's snapshot is taken.</summary>
    private static void BlockTheHub(ManualResetEventSlim captured) => captured.Wait(TimeSpan.FromSeconds(60));

    [Fact]
    public void AFailingStackCapture_IsReportedInPlaceOfTheStack()
    {
        var reports = new List<Exception>();
        Event reported = null!;
        Gevent.Run(
            async () =>
            {
                reported = new Event();
                await Gevent.Spawn(SleepUntilTheMonitorReports).JoinAsync();
                Assert.True(await reported.WaitAsync(TimeSpan.FromSeconds(60)), "no report arrived");
            },
            new HubOptions
            {
                MonitorThreshold = TimeSpan.FromMilliseconds(100),
                MonitorStackCapture = _ => throw new NotSupportedException("no stacks here"),
                ErrorHandler = (g, e) =>
                {
                    reports.Add(e);
                    reported.Set();
                },
            });
        var blocked = Assert.IsType<HubBlockedException>(Assert.Single(reports));
        Assert.Contains("could not be captured", blocked.BlockedStack);
        Assert.Contains("no stacks here", blocked.BlockedStack);
    }

    [Fact]
    public void AReportThatCompletesAfterTheHubFinished_IsStillDelivered()
    {
        using var captureStarted = new ManualResetEventSlim();
        using var hubFinished = new ManualResetEventSlim();
        using var delivered = new ManualResetEventSlim();
        var reports = new List<Exception>();
        Gevent.Run(
            async () =>
            {
                // Block the hub until the monitor has noticed, then finish without waiting for the report.
                #pragma warning disable GS0001 // the test blocks the hub on purpose, for the monitor to notice
                await Gevent.Spawn(() => captureStarted.Wait(TimeSpan.FromSeconds(60))).JoinAsync();
                #pragma warning restore GS0001
            },
            new HubOptions
            {
                MonitorThreshold = TimeSpan.FromMilliseconds(100),
                MonitorStackCapture = _ =>
                {
                    captureStarted.Set();
                    hubFinished.Wait(TimeSpan.FromSeconds(60)); // a capture slower than the rest of the run
                    return "slow stack";
                },
                ErrorHandler = (g, e) =>
                {
                    lock (reports)
                    {
                        reports.Add(e);
                    }

                    delivered.Set();
                },
            });
        hubFinished.Set();
        Assert.True(delivered.Wait(TimeSpan.FromSeconds(60)), "the report was lost");
        var blocked = Assert.IsType<HubBlockedException>(Assert.Single(reports));
        Assert.Equal("slow stack", blocked.BlockedStack);
    }

    [Fact]
    public void CooperativeGreenlets_AreNotReported()
    {
        var reports = new List<Exception>();
        Gevent.Run(
            async () =>
            {
                var workers = Enumerable.Range(0, 4).Select(_ => Gevent.Spawn(async Task () =>
                {
                    for (int i = 0; i < 60; i++)
                    {
                        await Gevent.Sleep(0.005); // real-time: a workload that lasts longer than the threshold
                    }
                })).ToList();
                await Gevent.JoinAllAsync(workers);
            },
            new HubOptions { MonitorThreshold = TimeSpan.FromMilliseconds(250), ErrorHandler = (g, e) => reports.Add(e) });
        Assert.Empty(reports);
    }

    [Fact]
    public void FormatRunInfo_ListsEveryGreenlet_WithStateWaitAndSpawner() => Gevent.Run(async () =>
    {
        Greenlet sleeper = Gevent.Spawn(async Task () => await Gevent.Sleep(10));
        sleeper.Name = "napper";
        await Gevent.Sleep(0);
        string info = Hub.Current!.FormatRunInfo();
        Assert.Contains("<Greenlet \"main\"", info);
        Assert.Contains("(current)", info);
        Assert.Contains("<Greenlet \"napper\"", info);
        Assert.Contains("waits on Sleep", info);
        Assert.Contains($"spawned by #{Greenlet.Current!.Id}", info);
        sleeper.Kill();
    }, new HubOptions { RecordSpawners = true });
}
