using System.Diagnostics;

namespace GeventSharp;

/// <summary>
/// The hub monitor: notices when one greenlet (or hub callback) has held the hub longer than a
/// threshold and reports it as a <see cref="HubBlockedException"/>.
/// </summary>
/// <remarks>
/// <para>
/// The hub counts the items it runs; one monitor thread for the whole process samples every hub's
/// count every quarter threshold (of the smallest threshold among the hubs). A
/// count that stays odd (an item running) means the hub is held. The time counted is wall time
/// minus what the hub thread could not help: garbage-collection pauses, JIT compilation and, on Linux, the time
/// the thread sat runnable on a busy machine's run queue (<c>/proc/self/task/TID/schedstat</c>).
/// The runtime counts JIT time for the whole process; where the hub thread's own CPU time is known
/// (Linux), no more of it is subtracted than the hub thread ran, so other threads compiling a lot
/// (a parallel test run, a Roslyn workload) cannot hide a hub that sleeps in a blocking call.
/// So a loaded machine or a collection does not read as a blocking call; a busy loop, a
/// synchronous wait or a slow synchronous call does.
/// </para>
/// <para>
/// The first report of an episode, at the threshold, is posted to the hub, so the error handler
/// runs on the hub thread as soon as the blocking call returns. If the hub has not come back by
/// one and a half thresholds — a <c>.Result</c> deadlock never does — the monitor thread reports
/// itself (<see cref="HubBlockedException.StillBlocked"/>), and again each time the held time
/// doubles. The posted report is then dropped, so each episode is told once on the hub thread or
/// on the monitor thread, never twice for the same moment.
/// </para>
/// </remarks>
internal sealed class HubMonitor : IDisposable
{
    private static readonly TimeSpan s_longestInterval = TimeSpan.FromMinutes(10);

    // How long the hub's close waits for a report still being made (see Dispose).
    private static readonly TimeSpan s_closeWaitsForReport = TimeSpan.FromSeconds(1);

    // One monitor thread for every hub of the process, started with the first hub: a hub costs a
    // list entry, not a thread, so Gevent.Run in a loop or one hub per core stays cheap.
    private static readonly List<HubMonitor> s_all = new();
    private static readonly AutoResetEvent s_changed = new(false);
    private static Thread? s_thread;
    private static int s_version;

    private readonly Hub _hub;
    private readonly TimeSpan _threshold;
    private readonly Func<Thread, string?>? _stackCapture;
    private readonly HubSchedstat? _schedstat;
    private readonly Episode _episode = new();
    private PostedReport? _awaitingHub; // the last first-report posted to the hub (see Dispose)
    private long _last = -1;
    private int _reported;
    private int _reporting;
    private readonly ManualResetEventSlim _notReporting = new(true); // set while _reporting is 0
    private volatile bool _disposed;

    public HubMonitor(Hub hub, TimeSpan threshold, Func<Thread, string?>? stackCapture, int hubOsThreadId)
    {
        _hub = hub;
        _threshold = threshold;
        _stackCapture = stackCapture;
        _schedstat = hubOsThreadId > 0 ? HubSchedstat.TryOpen(hubOsThreadId) : null;
        lock (s_all)
        {
            s_all.Add(this);
            s_version++;
            if (s_thread is null)
            {
                s_thread = new Thread(Loop) { IsBackground = true, Name = "GeventSharp hub monitor" };
                s_thread.Start();
            }
        }

        s_changed.Set();
    }

    /// <summary>How long the hub may be held before a report (<see cref="HubOptions.MonitorThreshold"/>).</summary>
    public TimeSpan Threshold => _threshold;

    /// <summary>Reports made so far (posted to the hub or delivered from the monitor thread).</summary>
    public int Reported => Volatile.Read(ref _reported);

    public void Dispose()
    {
        // Called on the hub thread once the hub is closed. A report still being made (its thread
        // not yet scheduled on a busy machine) would reach the handler only after Gevent.Run
        // returned, and never if the process then exits: wait for it, briefly (a stack capture
        // slower than that is delivered from its own thread).
#pragma warning disable GS0001 // the hub is closed: nothing else waits for this thread any more
        _notReporting.Wait(s_closeWaitsForReport);
#pragma warning restore GS0001

        // A report posted just before the close may have missed the hub's last turn: deliver it
        // here, once, rather than lose it. The fence pairs with the one in AwaitHub, so either
        // the reporter sees the hub closed (and delivers itself) or this sees its report.
        Interlocked.MemoryBarrier();
        Volatile.Read(ref _awaitingHub)?.DeliverHere(_hub);
        _disposed = true;
        _schedstat?.Dispose();
        lock (s_all)
        {
            s_all.Remove(this);
            s_version++;
        }

        s_changed.Set();
    }

    private static void Loop()
    {
        HubMonitor[] monitors = [];
        int seen = -1;
        TimeSpan period = System.Threading.Timeout.InfiniteTimeSpan;
        while (true)
        {
            s_changed.WaitOne(period);
            lock (s_all)
            {
                if (s_version != seen)
                {
                    seen = s_version;
                    monitors = s_all.ToArray();
                    period = monitors.Length == 0
                        ? System.Threading.Timeout.InfiniteTimeSpan
                        : TimeSpan.FromTicks(Math.Max(monitors.Min(m => m._threshold).Ticks / 4, TimeSpan.TicksPerMillisecond));
                }
            }

            foreach (HubMonitor m in monitors)
            {
                if (!m._disposed)
                {
                    m.Sample(Stopwatch.GetTimestamp());
                }
            }
        }
    }

    private void Sample(long now)
    {
        Episode episode = _episode;
        long counter = Volatile.Read(ref _hub._runCounter);
        if (counter != _last || (counter & 1) == 0)
        {
            // The hub moved on, or sleeps between items (waiting for I/O or timers is not blocking).
            // The baselines are taken here, at every change, so that a monitor thread that itself
            // waited long for a CPU on a loaded machine still subtracts everything the hub could not help.
            _last = counter;
            episode.Reset(now, _threshold, (counter & 1) == 1 ? ReadCosts() : null);
            return;
        }

        if (!episode.Suspected)
        {
            // Running, but the baseline was taken while the hub slept between items: take it now.
            episode.Suspect(ReadCosts());
        }

        TimeSpan held = Stopwatch.GetElapsedTime(episode.Since, now) - ReadCosts().NotTheHubsFault(episode.CostsAtStart);
        if (held >= episode.NextReportAt)
        {
            Report(episode, held);
        }
    }

    private PostedReport AwaitHub(PostedReport report)
    {
        Interlocked.Exchange(ref _awaitingHub, report);
        return report;
    }

    private void Report(Episode episode, TimeSpan held)
    {
        // Reset before the claim: a reporter finishing meanwhile sets it again after releasing the
        // claim, so the event is never left set while a report is being made (only this thread resets it).
        _notReporting.Reset();
        if (Interlocked.CompareExchange(ref _reporting, 1, 0) != 0)
        {
            return; // this hub's previous report is still being captured or delivered: a later sample retries
        }

        // Decided here, on the monitor thread, which owns the episode; captured and delivered on a
        // thread of the report's own, so that a slow stack capture or an error handler that blocks
        // never stops the monitor from watching the process's other hubs.
        Greenlet? g = _hub.CurrentForMonitor;
        bool waiting = (_hub.Thread.ThreadState & System.Threading.ThreadState.WaitSleepJoin) != 0;
        PostedReport? first = null;
        if (episode.Posted is null)
        {
            // At the threshold: tell the hub, which runs the handler when the call returns.
            first = new PostedReport();
            episode.Posted = first;
            episode.NextReportAt = _threshold + _threshold / 2;
        }
        else
        {
            // The hub has not come back: report from here, and again each time the held time doubles.
            episode.Posted.Cancel();
            episode.NextReportAt = held + (held < s_longestInterval ? held : s_longestInterval);
        }

        int pending = _hub.PendingPosts - (first is null ? 1 : 0); // not counting the monitor's own report
        Interlocked.Increment(ref _reported);
        var reporter = new Thread(() =>
        {
            try
            {
                var error = new HubBlockedException(g, held, _hub.Thread, CaptureStack(), stillBlocked: first is null, waiting, pending);
                if (first is null)
                {
                    _hub.ReportError(g, error);
                }
                else if (!_hub.TryPostInternal(static s => ((PostedReport)s!).DeliverOnHub(), AwaitHub(first.With(error))))
                {
                    // The hub finished while the report was being made (a slow stack capture): no hub
                    // thread is left to run the handler, so report from here rather than lose it.
                    first.DeliverHere(_hub);
                }
            }
            finally
            {
                Volatile.Write(ref _reporting, 0);
                _notReporting.Set();
            }
        })
        { IsBackground = true, Name = "GeventSharp hub monitor report" };
        reporter.Start();
    }

    /// <summary>
    /// What the hub thread's wall time includes that the program did not do: garbage-collection
    /// pauses and JIT compilation (both counted by the runtime for the whole process), and the hub
    /// thread's own time on and waiting for a CPU (Linux: <c>/proc/self/task/TID/schedstat</c>).
    /// </summary>
    private Costs ReadCosts()
    {
        TimeSpan gc = GC.GetTotalPauseDuration();
        TimeSpan jit = System.Runtime.JitInfo.GetCompilationTime();
        return _schedstat is not null && _schedstat.TryRead(out long onCpu, out long waiting)
            ? new Costs(gc, jit, TimeSpan.FromTicks(onCpu / 100), TimeSpan.FromTicks(waiting / 100))
            : new Costs(gc, jit, null, TimeSpan.Zero);
    }

    /// <summary>Running totals of what the hub could not help, read together.</summary>
    /// <param name="GcPauses">Process-wide garbage-collection pauses (they stop the hub thread too).</param>
    /// <param name="Jit">Process-wide JIT compilation time.</param>
    /// <param name="HubOnCpu">The hub thread's time on a CPU, where known.</param>
    /// <param name="HubRunQueue">The hub thread's time runnable but not running (zero where unknown).</param>
    private readonly record struct Costs(TimeSpan GcPauses, TimeSpan Jit, TimeSpan? HubOnCpu, TimeSpan HubRunQueue)
    {
        /// <summary>
        /// What, since <paramref name="start"/>, the hub could not help. JIT time is the runtime's
        /// total over all threads: the hub thread compiled at most while it ran, so where its CPU
        /// time is known no more than that is subtracted.
        /// </summary>
        public TimeSpan NotTheHubsFault(Costs start)
        {
            TimeSpan jit = Jit - start.Jit;
            if (HubOnCpu is { } cpu && start.HubOnCpu is { } cpuAtStart && cpu - cpuAtStart < jit)
            {
                jit = cpu - cpuAtStart;
            }

            return (GcPauses - start.GcPauses) + jit + (HubRunQueue - start.HubRunQueue);
        }
    }

    /// <summary>The blocked hub thread's stack, if a capture is configured; a failing capture is reported in its place.</summary>
    private string? CaptureStack()
    {
        if (_stackCapture is null)
        {
            return null;
        }

        try
        {
            return _stackCapture(_hub.Thread);
        }
        catch (Exception e)
        {
            return $"(the stack could not be captured: {e.GetType().Name}: {e.Message})";
        }
    }

    /// <summary>One stretch of the hub held by one item, as the monitor sees it.</summary>
    private sealed class Episode
    {
        public long Since { get; private set; }

        public bool Suspected { get; private set; }

        public Costs CostsAtStart { get; private set; }

        public TimeSpan NextReportAt { get; set; }

        public PostedReport? Posted { get; set; }

        /// <summary>A new item (or none): <paramref name="costs"/> is the baseline if read while an item runs.</summary>
        public void Reset(long now, TimeSpan threshold, Costs? costs)
        {
            Since = now;
            Posted = null;
            NextReportAt = threshold;
            CostsAtStart = costs ?? default;
            Suspected = costs is not null; // read while the item ran: a complete baseline
        }

        public void Suspect(Costs costs)
        {
            Suspected = true;
            CostsAtStart = costs;
        }
    }

    /// <summary>The first report of an episode, delivered once: on the hub when it comes back, unless the monitor spoke first.</summary>
    private sealed class PostedReport
    {
        private HubBlockedException? _error;
        private int _done;

        public PostedReport With(HubBlockedException error)
        {
            Volatile.Write(ref _error, error);
            return this;
        }

        public void Cancel() => Interlocked.Exchange(ref _done, 1);

        public void DeliverOnHub()
        {
            if (Volatile.Read(ref _error) is { } e && Interlocked.Exchange(ref _done, 1) == 0)
            {
                (e.Greenlet?.Hub ?? Hub.Current)?.ReportError(e.Greenlet, e);
            }
        }

        public void DeliverHere(Hub hub)
        {
            if (Volatile.Read(ref _error) is { } e && Interlocked.Exchange(ref _done, 1) == 0)
            {
                hub.ReportError(e.Greenlet, e);
            }
        }
    }
}
