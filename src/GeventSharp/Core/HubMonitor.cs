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
/// hub thread as soon as the blocking call returns (or, if the hub has finished meanwhile, on the
/// monitor thread: a report is never dropped).
/// </remarks>
internal sealed class HubMonitor : IDisposable
{
    private readonly Hub _hub;
    private readonly TimeSpan _threshold;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private readonly Func<Thread, string?>? _stackCapture;

    public HubMonitor(Hub hub, TimeSpan threshold, Func<Thread, string?>? stackCapture)
    {
        _hub = hub;
        _threshold = threshold;
        _stackCapture = stackCapture;
        _thread = new Thread(Loop) { IsBackground = true, Name = "GeventSharp hub monitor" };
        _thread.Start();
    }

    /// <summary>Blocking episodes reported so far (posted to the hub).</summary>
    public int Reported => Volatile.Read(ref _reported);

    private int _reported;

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
                string? stack = CaptureStack();
                var error = new HubBlockedException(g, held, _hub.Thread, stack);
                if (!_hub.TryPostInternal(static s =>
                    {
                        var e = (HubBlockedException)s!;
                        (e.Greenlet?.Hub ?? Hub.Current)?.ReportError(e.Greenlet, e);
                    }, error))
                {
                    // The hub finished while the monitor was looking (a slow stack capture): no
                    // hub thread is left to run the handler, so report from here rather than lose it.
                    _hub.ReportError(g, error);
                }

                Interlocked.Increment(ref _reported);
            }
        }

        _stop.Dispose();
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
}

/// <summary>
/// Reported (not thrown) by the hub monitor: a greenlet kept the hub busy longer than
/// <see cref="HubOptions.MonitorThreshold"/>, so every other greenlet waited — usually a
/// synchronous blocking call (<c>Thread.Sleep</c>, <c>.Result</c>, a synchronous socket or file
/// call) that belongs in <see cref="Hub.ThreadPool"/> or should be awaited.
/// </summary>
/// <remarks>
/// The report names the greenlet and the function it runs, and how long it had held the hub when
/// noticed (at least the threshold). .NET cannot read another thread's stack in-process; with
/// <see cref="HubOptions.MonitorStackCapture"/> set (e.g. to <c>GeventSharp.Diagnostics.HubStacks.Capture</c>)
/// the report carries the blocked thread's stack too (<see cref="BlockedStack"/>).
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
    public HubBlockedException(Greenlet? greenlet, TimeSpan held, Thread hubThread, string? blockedStack = null)
        : base(Describe(greenlet, held, hubThread, blockedStack))
    {
        Greenlet = greenlet;
        Held = held;
        BlockedStack = blockedStack;
    }

    /// <summary>The hub thread's stack while it was blocked, if <see cref="HubOptions.MonitorStackCapture"/> captured it.</summary>
    public string? BlockedStack { get; }

    /// <summary>The greenlet that held the hub, or null for a hub callback.</summary>
    public Greenlet? Greenlet { get; }

    /// <summary>How long the hub had been held when the monitor noticed.</summary>
    public TimeSpan Held { get; }

    private static string Describe(Greenlet? g, TimeSpan held, Thread hubThread, string? stack)
    {
        string who = g is null ? "a hub callback" : $"{g} (running {g.FunctionDescription})";
        string text = $"The hub (thread {hubThread.ManagedThreadId}) was blocked for at least {held.TotalMilliseconds:F0} ms by {who}: " +
            "a synchronous blocking call? Await it, or move it to Hub.ThreadPool (Gevent.RunBlockingAsync).";
        return stack is null ? text : text + "\nBlocked at:\n" + stack;
    }
}
