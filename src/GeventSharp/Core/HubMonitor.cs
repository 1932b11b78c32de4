using System.Diagnostics;

namespace GeventSharp;

/// <summary>
/// The monitor thread: notices when one greenlet (or hub callback) has held the hub longer than a
/// threshold and reports it through the hub's error handler as a <see cref="HubBlockedException"/>.
/// </summary>
/// <remarks>
/// The hub counts the items it runs; the monitor samples the count every half threshold. A count
/// that stays odd (an item running) for a whole threshold means the hub is blocked. Each blocking
/// episode is reported once, through <see cref="Hub.Post(Action)"/>, so the handler runs on the
/// hub thread as soon as the blocking call returns.
/// </remarks>
internal sealed class HubMonitor : IDisposable
{
    private readonly Hub _hub;
    private readonly TimeSpan _threshold;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;

    public HubMonitor(Hub hub, TimeSpan threshold)
    {
        _hub = hub;
        _threshold = threshold;
        _thread = new Thread(Loop) { IsBackground = true, Name = "GeventSharp hub monitor" };
        _thread.Start();
    }

    public void Dispose() => _stop.Set();

    private void Loop()
    {
        TimeSpan period = TimeSpan.FromTicks(Math.Max(_threshold.Ticks / 4, TimeSpan.TicksPerMillisecond));
        int last = -1;
        long since = Stopwatch.GetTimestamp();
        bool reported = false;
        while (!_stop.Wait(period))
        {
            int counter = _hub._runCounter;
            long now = Stopwatch.GetTimestamp();
            if (counter != last)
            {
                last = counter;
                since = now;
                reported = false;
                continue;
            }

            TimeSpan held = Stopwatch.GetElapsedTime(since, now);
            if ((counter & 1) == 1 && !reported && held >= _threshold)
            {
                reported = true;
                Greenlet? g = _hub.CurrentForMonitor;
                var error = new HubBlockedException(g, held, _hub.Thread);
                _hub.TryPostInternal(static s =>
                {
                    var e = (HubBlockedException)s!;
                    (e.Greenlet?.Hub ?? Hub.Current)?.ReportError(e.Greenlet, e);
                }, error);
            }
        }

        _stop.Dispose();
    }
}

/// <summary>
/// Reported (not thrown) by the hub monitor: a greenlet kept the hub busy longer than
/// <see cref="HubOptions.MonitorThreshold"/>, so every other greenlet waited — usually a
/// synchronous blocking call (<c>Thread.Sleep</c>, <c>.Result</c>, a synchronous socket or file
/// call) that belongs in <see cref="Hub.ThreadPool"/> or should be awaited.
/// </summary>
/// <remarks>
/// .NET cannot capture another thread's stack in-process, so the report names the greenlet and
/// the function it runs, and how long it had held the hub when noticed (at least the threshold).
/// </remarks>
/// <example>
/// <code>
/// var options = new HubOptions
/// {
///     MonitorThreshold = TimeSpan.FromMilliseconds(100),
///     ErrorHandler = (g, e) =&gt; { if (e is HubBlockedException b) log.Warn(b.Message); },
/// };
/// </code>
/// </example>
public sealed class HubBlockedException : Exception
{
    /// <summary>Creates the report.</summary>
    public HubBlockedException(Greenlet? greenlet, TimeSpan held, Thread hubThread)
        : base(Describe(greenlet, held, hubThread))
    {
        Greenlet = greenlet;
        Held = held;
    }

    /// <summary>The greenlet that held the hub, or null for a hub callback.</summary>
    public Greenlet? Greenlet { get; }

    /// <summary>How long the hub had been held when the monitor noticed.</summary>
    public TimeSpan Held { get; }

    private static string Describe(Greenlet? g, TimeSpan held, Thread hubThread)
    {
        string who = g is null ? "a hub callback" : $"{g} (running {g.FunctionDescription})";
        return $"The hub (thread {hubThread.ManagedThreadId}) was blocked for at least {held.TotalMilliseconds:F0} ms by {who}: " +
            "a synchronous blocking call? Await it, or move it to Hub.ThreadPool (Gevent.RunBlockingAsync).";
    }
}
