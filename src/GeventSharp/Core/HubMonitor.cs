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

    // One monitor thread for every hub of the process, started with the first hub: a hub costs a
    // list entry, not a thread, so Gevent.Run in a loop or one hub per core stays cheap.
    private static readonly List<HubMonitor> s_all = new();
    private static readonly AutoResetEvent s_changed = new(false);
    private static Thread? s_thread;
    private static int s_version;

    private readonly Hub _hub;
    private readonly TimeSpan _threshold;
    private readonly Func<Thread, string?>? _stackCapture;
    private readonly string? _schedstat;
    private readonly Episode _episode = new();
    private PostedReport? _awaitingHub; // the last first-report posted to the hub (see Dispose)
    private long _last = -1;
    private int _reported;
    private int _reporting;
    private volatile bool _disposed;

    public HubMonitor(Hub hub, TimeSpan threshold, Func<Thread, string?>? stackCapture, int hubOsThreadId)
    {
        _hub = hub;
        _threshold = threshold;
        _stackCapture = stackCapture;
        _schedstat = hubOsThreadId > 0 ? $"/proc/self/task/{hubOsThreadId}/schedstat" : null;
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
        // Called on the hub thread once the hub is closed. A report posted just before the close
        // may have missed the hub's last turn: deliver it here, once, rather than lose it. The
        // fence pairs with the one in AwaitHub, so either the reporter sees the hub closed (and
        // delivers itself) or this sees its report.
        Interlocked.MemoryBarrier();
        Volatile.Read(ref _awaitingHub)?.DeliverHere(_hub);
        _disposed = true;
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
            episode.Reset(now, _threshold, RuntimeOverhead(), (counter & 1) == 1 ? ReadRunQueueDelay() : TimeSpan.Zero);
            return;
        }

        if (!episode.Suspected)
        {
            // Running, but the baseline was taken while the hub slept between items: take it now.
            episode.Suspect(RuntimeOverhead(), ReadRunQueueDelay());
        }

        TimeSpan held = Stopwatch.GetElapsedTime(episode.Since, now)
            - (RuntimeOverhead() - episode.RuntimeOverheadAtStart)
            - (ReadRunQueueDelay() - episode.RunQueueDelayAtStart);
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
            }
        })
        { IsBackground = true, Name = "GeventSharp hub monitor report" };
        reporter.Start();
    }

    /// <summary>
    /// Time the runtime spent on work of its own — garbage-collection pauses, and JIT compilation
    /// (process-wide: compiling a method on another thread is subtracted too, which can only make a
    /// report later, never spurious). A cold process compiles on first use; that is not the hub
    /// being blocked by the program.
    /// </summary>
    private static TimeSpan RuntimeOverhead() => GC.GetTotalPauseDuration() + System.Runtime.JitInfo.GetCompilationTime();

    /// <summary>Nanoseconds the hub thread spent runnable but not running, as a TimeSpan; zero where unknown.</summary>
    private TimeSpan ReadRunQueueDelay()
    {
        if (_schedstat is null)
        {
            return TimeSpan.Zero;
        }

        try
        {
            // "<ns on cpu> <ns waiting on a run queue> <timeslices>"
            string[] fields = File.ReadAllText(_schedstat).Split(' ');
            return fields.Length >= 2 && long.TryParse(fields[1], out long ns) ? TimeSpan.FromTicks(ns / 100) : TimeSpan.Zero;
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
        catch (UnauthorizedAccessException)
        {
            return TimeSpan.Zero;
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

        public TimeSpan RuntimeOverheadAtStart { get; private set; }

        public TimeSpan RunQueueDelayAtStart { get; private set; }

        public TimeSpan NextReportAt { get; set; }

        public PostedReport? Posted { get; set; }

        public void Reset(long now, TimeSpan threshold, TimeSpan gcPause, TimeSpan runQueueDelay)
        {
            Since = now;
            Posted = null;
            NextReportAt = threshold;
            RuntimeOverheadAtStart = gcPause;
            RunQueueDelayAtStart = runQueueDelay;
            Suspected = runQueueDelay != TimeSpan.Zero; // a run-queue reading is a complete baseline
        }

        public void Suspect(TimeSpan gcPause, TimeSpan runQueueDelay)
        {
            Suspected = true;
            RuntimeOverheadAtStart = gcPause;
            RunQueueDelayAtStart = runQueueDelay;
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
