namespace GeventSharp;

/// <summary>
/// Reported (not thrown) by the hub monitor: a greenlet kept the hub busy longer than
/// <see cref="HubOptions.MonitorThreshold"/>, so every other greenlet waited — usually a
/// synchronous blocking call (<c>Thread.Sleep</c>, <c>.Result</c>, a synchronous socket or file
/// call) that belongs in <see cref="Hub.ThreadPool"/> or should be awaited.
/// </summary>
/// <remarks>
/// <para>
/// The report names the greenlet and the function it runs, how long it had held the hub when
/// noticed (at least the threshold; garbage-collection pauses and time the thread waited for a
/// CPU on a busy machine do not count), and what the hub thread was doing: running code, or
/// waiting synchronously. A synchronous wait while callbacks posted to the hub queue up is what a
/// <c>.Result</c> / <c>.Wait()</c> / <c>GetAwaiter().GetResult()</c> deadlock looks like, and the
/// message says so (<see cref="LikelyDeadlock"/>; with a captured stack, a task wait on it says so too).
/// </para>
/// <para>
/// The first report of an episode reaches the error handler on the hub thread when the hub comes
/// back. A hub that does not come back within one and a half thresholds is reported from the
/// monitor thread instead (<see cref="StillBlocked"/> is true), and again each time the held time
/// doubles; an error handler that keeps state must be ready for those calls from another thread.
/// </para>
/// <para>
/// .NET cannot read another thread's stack in-process; with <see cref="HubOptions.MonitorStackCapture"/>
/// set (e.g. to <c>GeventSharp.Diagnostics.HubStacks.Capture</c>) the report carries the blocked
/// thread's stack too (<see cref="BlockedStack"/>).
/// </para>
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
    /// <param name="greenlet">The greenlet that held the hub, or null for a hub callback.</param>
    /// <param name="held">How long the hub had been held.</param>
    /// <param name="hubThread">The hub's thread.</param>
    /// <param name="blockedStack">The hub thread's stack, if captured.</param>
    /// <param name="stillBlocked">True when the hub had not come back when this was reported.</param>
    /// <param name="hubThreadWaiting">True when the hub thread was in a synchronous wait rather than running code.</param>
    /// <param name="pendingCallbacks">Callbacks posted to the hub from other threads and waiting for it.</param>
    public HubBlockedException(
        Greenlet? greenlet,
        TimeSpan held,
        Thread hubThread,
        string? blockedStack = null,
        bool stillBlocked = false,
        bool hubThreadWaiting = false,
        int pendingCallbacks = 0)
        : base(Describe(greenlet, held, hubThread, blockedStack, stillBlocked, hubThreadWaiting, pendingCallbacks))
    {
        ArgumentNullException.ThrowIfNull(hubThread);
        Greenlet = greenlet;
        Held = held;
        BlockedStack = blockedStack;
        StillBlocked = stillBlocked;
        HubThreadWaiting = hubThreadWaiting;
        PendingCallbacks = pendingCallbacks;
    }

    /// <summary>The hub thread's stack while it was blocked, if <see cref="HubOptions.MonitorStackCapture"/> captured it.</summary>
    public string? BlockedStack { get; }

    /// <summary>The greenlet that held the hub, or null for a hub callback.</summary>
    public Greenlet? Greenlet { get; }

    /// <summary>How long the hub had been held when the monitor noticed.</summary>
    public TimeSpan Held { get; }

    /// <summary>
    /// True when the hub had not come back when this was reported: the report comes from the
    /// monitor thread, and more follow at growing intervals while the hub stays blocked.
    /// </summary>
    public bool StillBlocked { get; }

    /// <summary>True when the hub thread was in a synchronous wait (<c>Thread.Sleep</c>, a lock, <c>.Result</c>, <c>.Wait()</c>) rather than running code.</summary>
    public bool HubThreadWaiting { get; }

    /// <summary>How many callbacks posted to the hub from other threads (task continuations, thread-pool results) were waiting for it.</summary>
    public int PendingCallbacks { get; }

    /// <summary>
    /// True when the hub thread waits synchronously while work posted to the hub waits for it:
    /// most likely <c>.Result</c>, <c>.Wait()</c> or <c>GetAwaiter().GetResult()</c> on a task that
    /// needs this hub to finish, which never returns.
    /// </summary>
    public bool LikelyDeadlock => HubThreadWaiting && (PendingCallbacks > 0 || WaitsOnATask(BlockedStack));

    // Frames of the runtime's synchronous task waits, as a captured stack names them.
    private static bool WaitsOnATask(string? stack) => stack is not null &&
        (stack.Contains("Task.SpinThenBlockingWait", StringComparison.Ordinal)
         || stack.Contains("Task.InternalWait", StringComparison.Ordinal)
         || stack.Contains("Task.Wait(", StringComparison.Ordinal));

    private static string Describe(Greenlet? g, TimeSpan held, Thread hubThread, string? stack, bool stillBlocked, bool waiting, int pending)
    {
        string who = g is null ? "a hub callback" : $"{g} (running {g.FunctionDescription})";
        string verb = stillBlocked ? "is still blocked, for" : "was blocked for";
        string text = $"The hub (thread {hubThread.ManagedThreadId}) {verb} at least {held.TotalMilliseconds:F0} ms by {who}: ";
        if (waiting && (pending > 0 || WaitsOnATask(stack)))
        {
            text += pending > 0
                ? $"its thread waits synchronously while {pending} callback(s) posted to the hub wait for it. "
                : "its thread waits synchronously for a task. ";
            text += "This is most likely a deadlock: .Result, .Wait() or GetAwaiter().GetResult() on a task that needs this hub to finish. Await the task instead.";
        }
        else if (waiting)
        {
            text += "its thread is in a synchronous wait: most likely .Result, .Wait() or GetAwaiter().GetResult() on a task " +
                "(a deadlock if the task needs this hub), else Thread.Sleep or a lock. " +
                "Await the task or a cooperative equivalent (Gevent.Sleep), or move the call to Hub.ThreadPool (Gevent.RunBlockingAsync).";
        }
        else
        {
            text += "its thread is running code (a CPU-bound loop or a synchronous call?). " +
                "Await a cooperative equivalent, yield now and then (Gevent.Sleep(0)), or move the work to Hub.ThreadPool (Gevent.RunBlockingAsync).";
        }

        return stack is null ? text : text + "\nBlocked at:\n" + stack;
    }
}
