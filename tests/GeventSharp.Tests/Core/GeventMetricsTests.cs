using Xunit;

namespace GeventSharp.Tests.Core;

[Collection(nameof(TelemetryCollection))]
public class GeventMetricsTests
{
    private static readonly HubOptions Quiet = new() { ErrorHandler = (_, _) => { }, MonitorThreshold = null };

    [Fact]
    public void Greenlets_SpawnedFailedAndAlive_AreReadFromTheHub()
    {
        using var metrics = new MetricsRecorder();
        Gevent.Run(async () =>
        {
            Greenlet ok = Gevent.Spawn(static () => { });
            Greenlet failed = Gevent.Spawn(static () => throw new InvalidOperationException("boom"));
            Greenlet exited = Gevent.Spawn(static () => throw new GreenletExit());
            Greenlet waiting = Gevent.Spawn(static () => Gevent.Sleep(10));
            await Gevent.JoinAllAsync([ok, failed, exited]);

            Assert.Equal(5, metrics.HubValue("gevent.greenlets.spawned")); // main and four
            Assert.Equal(1, metrics.HubValue("gevent.greenlets.failed")); // GreenletExit is not a failure
            Assert.Equal(2, metrics.HubValue("gevent.greenlets.alive")); // main and the sleeper
            Assert.Equal(1, metrics.HubValue("gevent.hub.timers"));
            waiting.Kill();
        }, Quiet);
    }

    [Fact]
    public void Switches_CountEveryItemTheHubRuns_AndTheReadyQueueIsItsLength()
    {
        using var metrics = new MetricsRecorder();
        Gevent.Run(async () =>
        {
            double before = metrics.HubValue("gevent.hub.switches");
            for (int i = 0; i < 10; i++)
            {
                await Gevent.Sleep(0);
            }

            Assert.Equal(before + 10, metrics.HubValue("gevent.hub.switches"));

            Gevent.Spawn(static () => { });
            Gevent.Spawn(static () => { });
            Assert.Equal(2, metrics.HubValue("gevent.hub.ready_queue.length"));
            await Gevent.Sleep(0);
            Assert.Equal(0, metrics.HubValue("gevent.hub.ready_queue.length"));
        }, Quiet);
    }

    [Fact]
    public void TwoHubs_AreToldApartByTheirThread()
    {
        using var metrics = new MetricsRecorder();
        using var started = new ManualResetEventSlim();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var other = new Thread(() => Gevent.Run(async () =>
        {
            for (int i = 0; i < 7; i++)
            {
                Gevent.Spawn(static () => { });
            }

            started.Set();
            await release.Task;
        }, Quiet))
        { Name = "second hub" };
        other.Start();
        started.Wait();
        try
        {
            Gevent.Run(() =>
            {
                IReadOnlyList<RecordedMeasurement> spawned = metrics.Collect().Where(m => m.Instrument == "gevent.greenlets.spawned").ToList();
                RecordedMeasurement mine = Assert.Single(spawned, m => Equals(m.Tag("thread.id"), Environment.CurrentManagedThreadId));
                RecordedMeasurement theirs = Assert.Single(spawned, m => Equals(m.Tag("thread.id"), other.ManagedThreadId));
                Assert.Equal(1, mine.Value);
                Assert.Equal(8, theirs.Value);
                Assert.Equal("second hub", theirs.Tag("thread.name"));
                return Task.CompletedTask;
            }, Quiet);
        }
        finally
        {
            release.SetResult();
            other.Join();
        }

        metrics.Clear();
        Assert.DoesNotContain(metrics.Collect(), m => Equals(m.Tag("thread.id"), other.ManagedThreadId)); // a finished hub is not reported
    }

    [Fact]
    public void LoopLag_IsMeasuredByAProbeThatWaitsForTheHub()
    {
        using var metrics = new MetricsRecorder(i => i.Name == "gevent.hub.loop.lag");
        Gevent.Run(async () =>
        {
            Gevent.Spawn(static () => { });
            GeventMetrics.ProbeLoopLag(); // queued behind the greenlet just spawned: it waits for that one to run
            await Gevent.Sleep(0);

            RecordedMeasurement lag = Assert.Single(metrics.Collect(), m => Equals(m.Tag("thread.id"), Environment.CurrentManagedThreadId));
            Assert.Equal("gevent.hub.loop.lag", lag.Instrument);
            Assert.True(lag.Value >= 0);
        }, Quiet);
    }

    [Fact]
    public void NobodyListening_TheLagIsNotProbed()
    {
        using var metrics = new MetricsRecorder(i => i.Name != "gevent.hub.loop.lag");
        Gevent.Run(async () =>
        {
            GeventMetrics.ProbeLoopLag(); // the timer would not even do this: it probes only while the histogram is enabled
            await Gevent.Sleep(0);
            await Gevent.Sleep(0);
            Assert.DoesNotContain(metrics.Collect(), m => m.Instrument == "gevent.hub.loop.lag");
        }, Quiet);
    }
}
