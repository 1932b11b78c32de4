using Xunit;

namespace GeventSharp.Tests.Core;

public class HubMonitorTests
{
    [Fact]
    public void GreenletThatBlocksTheHub_IsReported()
    {
        var reports = new Reports();
        Gevent.Run(
            async () =>
            {
                Greenlet sleeper = Gevent.Spawn(SleepUntilTheMonitorReports);
                sleeper.Name = "sleeper";
                await sleeper.JoinAsync();
            },
            new HubOptions { MonitorThreshold = TimeSpan.FromMilliseconds(100), ErrorHandler = reports.Add });
        var (greenlet, blocked) = reports.First();
        Assert.Equal("sleeper", greenlet!.Name);
        Assert.Same(greenlet, blocked.Greenlet);
        Assert.True(blocked.Held >= TimeSpan.FromMilliseconds(100));
        Assert.True(blocked.HubThreadWaiting); // real-time: the sleeper's sleep is a synchronous wait
        Assert.Contains("sleeper", blocked.Message);
        Assert.Contains("HubMonitorTests", blocked.Message); // the function it was running
        Assert.Contains("synchronous wait", blocked.Message);
    }

    [Fact]
    public void AHubThatNeverComesBack_IsReportedFromTheMonitorThread_AndNamedADeadlock()
    {
        // The archetype: .Result (here .Wait()) on the hub thread for a task whose continuation
        // must run on this hub. Without the monitor it hangs forever in silence. The monitor's
        // own report (StillBlocked) is the test's only way out: the handler opens the escape hatch.
        var escape = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reports = new Reports(onReport: e => { if (e.StillBlocked) escape.TrySetResult(); });
        Thread? hubThread = null;
        Gevent.Run(
            () =>
            {
                hubThread = Thread.CurrentThread;

                // A task whose continuation must run on this hub: completed from another thread, so
                // the continuation is posted to the hub, which is about to block and never take it.
                var gate = new TaskCompletionSource();
                Task needsTheHub = ContinuesOnTheHubAsync(gate.Task);
                var completer = new Thread(gate.SetResult);
                completer.Start();
#pragma warning disable GS0001 // the completer thread only sets a result: joining it only reaps it
                completer.Join();
#pragma warning restore GS0001
#pragma warning disable VSTHRD002, GS0001 // the mistake under test: a synchronous wait on the hub thread
                Task.WhenAny(needsTheHub, escape.Task).Wait();
#pragma warning restore VSTHRD002, GS0001
                return Task.CompletedTask;
            },
            new HubOptions { MonitorThreshold = TimeSpan.FromMilliseconds(100), ErrorHandler = reports.Add });

        var (_, still) = reports.First(r => r.Error.StillBlocked);
        Assert.NotSame(hubThread, reports.ThreadOf(still)); // the hub was blocked: the monitor thread spoke
        Assert.True(still.HubThreadWaiting);
        Assert.True(still.PendingCallbacks > 0, still.Message); // the awaited delay's continuation, queued for the hub
        Assert.True(still.LikelyDeadlock);
        Assert.Contains("deadlock", still.Message);
        Assert.Contains(".Result", still.Message);
        Assert.Contains("is still blocked", still.Message);
        Assert.True(still.Held >= TimeSpan.FromMilliseconds(100));
        Assert.DoesNotContain(reports.All, r => !r.Error.StillBlocked); // the first report, posted to the blocked hub, is not told again

        static async Task ContinuesOnTheHubAsync(Task gate) => await gate;
    }

    [Fact]
    public void AHubThatStaysBlocked_IsReportedAgain_AtGrowingIntervals()
    {
        using var release = new ManualResetEventSlim();
        var reports = new Reports(onReport: e => { if (e.StillBlocked && e.Held >= TimeSpan.FromMilliseconds(400)) release.Set(); });
        Gevent.Run(
#pragma warning disable GS0001 // the test blocks the hub on purpose, for the monitor to report it again and again
            async () => await Gevent.Spawn(() => release.Wait(TimeSpan.FromSeconds(60))).JoinAsync(),
#pragma warning restore GS0001
            new HubOptions { MonitorThreshold = TimeSpan.FromMilliseconds(50), ErrorHandler = reports.Add });

        TimeSpan[] held = reports.All.Where(r => r.Error.StillBlocked).Select(r => r.Error.Held).ToArray();
        Assert.True(held.Length >= 3, $"{held.Length} reports");
        Assert.True(held[0] >= TimeSpan.FromMilliseconds(75)); // one and a half thresholds
        for (int i = 1; i < held.Length; i++)
        {
            Assert.True(held[i] >= 2 * held[i - 1], $"report {i}: {held[i]} after {held[i - 1]}"); // each interval at least doubles
        }
    }

    [Fact]
    public void AHubBlockedWhileOtherThreadsCompile_IsStillReported()
    {
        // The runtime counts JIT time for the whole process. Threads compiling all the while (a
        // parallel test run, Roslyn) add up more compile time than wall time passes, and when the
        // monitor subtracted all of it a hub asleep in a blocking call was never reported ("no
        // report arrived"). Only what the hub thread could have compiled, its own CPU time, may go.
        using var stop = new CancellationTokenSource();
        var compilers = Enumerable.Range(0, 3).Select(_ => new Thread(() => CompileUntil(stop.Token)) { IsBackground = true }).ToList();
        compilers.ForEach(t => t.Start());
        var reports = new Reports();
        try
        {
            Gevent.Run(
                async () => await Gevent.Spawn(SleepUntilTheMonitorReports).JoinAsync(),
                new HubOptions { MonitorThreshold = TimeSpan.FromMilliseconds(100), ErrorHandler = reports.Add });
        }
        finally
        {
            stop.Cancel();
            compilers.ForEach(t => t.Join());
        }

        var (_, blocked) = reports.First();
        Assert.True(blocked.Held >= TimeSpan.FromMilliseconds(100));
    }

    /// <summary>Compiles fresh methods (each a new dynamic method the JIT must compile) until told to stop.</summary>
    private static void CompileUntil(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var method = new System.Reflection.Emit.DynamicMethod("compiled", typeof(int), [typeof(int)]);
            System.Reflection.Emit.ILGenerator il = method.GetILGenerator();
            for (int i = 0; i < 200; i++)
            {
                il.Emit(System.Reflection.Emit.OpCodes.Ldarg_0);
                il.Emit(System.Reflection.Emit.OpCodes.Ldc_I4, i);
                il.Emit(System.Reflection.Emit.OpCodes.Mul);
                il.Emit(System.Reflection.Emit.OpCodes.Starg_S, (byte)0);
            }

            il.Emit(System.Reflection.Emit.OpCodes.Ldarg_0);
            il.Emit(System.Reflection.Emit.OpCodes.Ret);
            method.CreateDelegate<Func<int, int>>()(1);
        }
    }

    [Fact]
    public void WithAStackCapture_TheReportShowsWhereTheHubIsBlocked()
    {
        // The greenlet blocks the hub until the snapshot has been taken: however slow the
        // snapshot is on a given machine, nothing races.
        using var captured = new ManualResetEventSlim();
        var reports = new Reports();
        Gevent.Run(
            async () => await Gevent.Spawn(() => BlockTheHub(captured)).JoinAsync(),
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
                ErrorHandler = reports.Add,
            });
        var (_, blocked) = reports.First();
        Assert.NotNull(blocked.BlockedStack);
        Assert.Contains(nameof(ManualResetEventSlim) + ".Wait", blocked.BlockedStack);
        Assert.Contains(nameof(BlockTheHub), blocked.BlockedStack);
        Assert.Contains("Blocked at:", blocked.Message);
    }

    [Fact]
    public void TheMonitorIsOn_WithNoConfiguration()
    {
        Gevent.Run(() =>
        {
            Assert.NotNull(Hub.Current!.Monitor);
            return Task.CompletedTask;
        });
        Assert.Equal(TimeSpan.FromMilliseconds(100), new HubOptions().MonitorThreshold);
        Gevent.Run(
            () =>
            {
                Assert.Null(Hub.Current!.Monitor);
                return Task.CompletedTask;
            },
            new HubOptions { MonitorThreshold = null });
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
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)] // its frame is asserted on
    private static void BlockTheHub(ManualResetEventSlim captured) => captured.Wait(TimeSpan.FromSeconds(60));

    [Fact]
    public void AFailingStackCapture_IsReportedInPlaceOfTheStack()
    {
        var reports = new Reports();
        Gevent.Run(
            async () => await Gevent.Spawn(SleepUntilTheMonitorReports).JoinAsync(),
            new HubOptions
            {
                MonitorThreshold = TimeSpan.FromMilliseconds(100),
                MonitorStackCapture = _ => throw new NotSupportedException("no stacks here"),
                ErrorHandler = reports.Add,
            });
        var (_, blocked) = reports.First();
        Assert.Contains("could not be captured", blocked.BlockedStack);
        Assert.Contains("no stacks here", blocked.BlockedStack);
    }

    [Fact]
    public void AReportThatCompletesAfterTheHubFinished_IsStillDelivered()
    {
        using var captureStarted = new ManualResetEventSlim();
        using var hubFinished = new ManualResetEventSlim();
        var reports = new Reports();
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
                ErrorHandler = reports.Add,
            });
        hubFinished.Set();
        var (_, blocked) = reports.First();
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

    /// <summary>
    /// Collects the monitor's reports from whichever thread delivers them (the hub's, or the
    /// monitor's for a hub that has not come back), and lets the test wait for the first.
    /// </summary>
    private sealed class Reports(Action<HubBlockedException>? onReport = null)
    {
        private readonly List<(Greenlet? Greenlet, HubBlockedException Error, Thread Thread)> _all = new();
        private readonly ManualResetEventSlim _first = new();

        public IReadOnlyList<(Greenlet? Greenlet, HubBlockedException Error)> All
        {
            get
            {
                lock (_all)
                {
                    return _all.Select(r => (r.Greenlet, r.Error)).ToList();
                }
            }
        }

        public void Add(Greenlet? g, Exception e)
        {
            var blocked = Assert.IsType<HubBlockedException>(e);
            lock (_all)
            {
                _all.Add((g, blocked, Thread.CurrentThread));
            }

            _first.Set();
            onReport?.Invoke(blocked);
        }

        public (Greenlet? Greenlet, HubBlockedException Error) First(Func<(Greenlet? Greenlet, HubBlockedException Error), bool>? match = null)
        {
            Assert.True(_first.Wait(TimeSpan.FromSeconds(60)), "no report arrived");
            return All.First(match ?? (_ => true));
        }

        public Thread ThreadOf(HubBlockedException e)
        {
            lock (_all)
            {
                return _all.Single(r => ReferenceEquals(r.Error, e)).Thread;
            }
        }
    }
}
