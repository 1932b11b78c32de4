using System.Diagnostics;

namespace GeventSharp;

/// <summary>What the hub counts for <see cref="GeventMetrics"/>: plain fields, read by the instruments' callbacks.</summary>
public sealed partial class Hub
{
    // Written by the hub thread only, with a plain increment; other threads read it with Volatile.Read.
    private long _failedCount;

    /// <summary>The hub's instrument tags and loop-lag probe; made by the first collection that sees the hub.</summary>
    private HubMetricsState? _metricsState;

    /// <summary>A greenlet of this hub died of an error (not one of <see cref="NotErrors"/>).</summary>
    internal void NoteGreenletFailed() => _failedCount++;

    /// <summary>Greenlets created on this hub so far (read from any thread).</summary>
    internal long SpawnedCount => _live.Added;

    /// <summary>Greenlets of this hub that died of an error (read from any thread).</summary>
    internal long FailedCount => Volatile.Read(ref _failedCount);

    /// <summary>Items (greenlet steps and callbacks) the hub has started running: each is one switch into them.</summary>
    internal long SwitchCount => (Volatile.Read(ref _runCounter) + 1) / 2;

    /// <summary>Items queued to run in the ready queue now (a racy read from another thread: a snapshot, not a fact).</summary>
    internal int ReadyCount => _ready.Count;

    /// <summary>Pending (not cancelled) timers.</summary>
    internal int PendingTimerCount => _timers.LiveCount;

    /// <summary>Reports of the hub monitor so far (0 when it is off).</summary>
    internal int MonitorReportCount => _monitor?.Reported ?? 0;

    /// <summary>Tags and probe of this hub for the instruments; created once, on the collecting thread, under the registry's lock.</summary>
    internal HubMetricsState MetricsState => _metricsState ??= new HubMetricsState(this);
}

/// <summary>One hub as the instruments see it: its tags, and its loop-lag probe.</summary>
internal sealed class HubMetricsState
{
    private static readonly Action<object?> s_runProbe = static s => ((HubMetricsState)s!).ProbeArrived();

    private readonly Hub _hub;

    // Stopwatch timestamp of the probe posted and not run yet; 0 when none is in flight.
    private long _probePostedAt;

    public HubMetricsState(Hub hub)
    {
        _hub = hub;
        Thread thread = hub.Thread;
        Tags = thread.Name is { } name
            ? [new("thread.id", thread.ManagedThreadId), new("thread.name", name)]
            : [new("thread.id", thread.ManagedThreadId)];
    }

    /// <summary><c>thread.id</c> and, if the thread has one, <c>thread.name</c> (OpenTelemetry's general attributes): N hubs of a process are told apart.</summary>
    public KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>
    /// Posts a probe to the hub unless one is still on its way (a held hub gets one probe, which
    /// records the whole wait when it finally runs). Called from the probe timer's thread.
    /// </summary>
    public void PostProbe()
    {
        if (Volatile.Read(ref _probePostedAt) != 0)
        {
            return;
        }

        Volatile.Write(ref _probePostedAt, Stopwatch.GetTimestamp());
        if (!_hub.TryPostInternal(s_runProbe, this))
        {
            Volatile.Write(ref _probePostedAt, 0);
        }
    }

    /// <summary>On the hub thread: how long the probe waited for the hub to get to it.</summary>
    private void ProbeArrived()
    {
        long posted = Volatile.Read(ref _probePostedAt);
        Volatile.Write(ref _probePostedAt, 0);
        if (posted != 0)
        {
            GeventMetrics.LoopLag.Record(Stopwatch.GetElapsedTime(posted).TotalSeconds, Tags);
        }
    }
}
