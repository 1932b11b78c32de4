using System.Diagnostics;

namespace GeventSharp;

/// <summary>
/// A flag that greenlets wait on: <see cref="Set"/> wakes every waiter, <see cref="Clear"/> makes
/// later waits block again (gevent's <c>gevent.event.Event</c>).
/// </summary>
/// <remarks>
/// <para>Waiters wake in the order they started waiting. <see cref="Set"/> does not run them: it
/// schedules them on the hub and returns; they run when the setter yields.</para>
/// <para>A waiter that was woken returns true even if the event is cleared again before it runs
/// (the race gevent documents for <c>wait()</c>): a true result means "was set", not "is set".</para>
/// <para>A wait that times out returns false and leaves nothing behind; a wait interrupted by Kill,
/// a <see cref="Timeout"/> or its token throws and leaves nothing behind.</para>
/// <para>Not thread-safe: use it from greenlets of one hub (other threads: <see cref="Hub.Post(Action)"/>).</para>
/// </remarks>
/// <example>
/// <code>
/// var ready = new Event();
/// Gevent.Spawn(async () =&gt; { await Gevent.Sleep(3); ready.Set(); });
/// await ready.WaitAsync();          // returns true after 3 seconds
/// bool set = await ready.WaitAsync(TimeSpan.Zero); // true: already set, does not block
/// </code>
/// </example>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class Event : Waitable
{
    private bool _flag;

    /// <summary>Creates an event that is not set.</summary>
    public Event()
    {
    }

    /// <summary>True once <see cref="Set"/> was called and until <see cref="Clear"/> (gevent's <c>is_set()</c>).</summary>
    public bool IsSet => _flag;

    /// <summary>Same as <see cref="IsSet"/>: a wait would return at once.</summary>
    public override bool Ready => _flag;

    /// <summary>
    /// Sets the flag and schedules every waiting greenlet and link callback, in the order they
    /// started waiting or were linked. Does nothing more if it is already set.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not called on a hub thread.</exception>
    public void Set()
    {
        Hub hub = Hub.CurrentOrThrow("Event.Set");
        _flag = true;
        NotifyAll(hub);
    }

    /// <summary>Resets the flag: later waits block until the next <see cref="Set"/>.</summary>
    public void Clear() => _flag = false;

    /// <summary>
    /// Waits until the event is set, the timeout elapses, or the token is cancelled.
    /// Returns at once (true) if it is set; a zero timeout never blocks.
    /// </summary>
    /// <param name="timeout">The longest to wait; null waits as long as it takes.</param>
    /// <param name="cancellationToken">Interrupts the wait with <see cref="OperationCanceledException"/>.</param>
    /// <returns>True if the event was set, false if the timeout elapsed first.</returns>
    /// <exception cref="InvalidOperationException">Not called from a greenlet.</exception>
    public ValueTask<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => WaitUntilReadyAsync("Event.WaitAsync", timeout, cancellationToken);

    /// <summary>Waits until the event is set or <paramref name="seconds"/> elapse; see <see cref="WaitAsync(TimeSpan?, CancellationToken)"/>.</summary>
    public ValueTask<bool> WaitAsync(double seconds, CancellationToken cancellationToken = default)
        => WaitAsync(Gevent.SecondsToTimeSpan(seconds, nameof(seconds)), cancellationToken);

    /// <summary>Awaiting an event waits until it is set.</summary>
    public System.Runtime.CompilerServices.ValueTaskAwaiter<bool> GetAwaiter() => WaitAsync().GetAwaiter();

    /// <summary>Like <c>&lt;Event set, 0 waiters&gt;</c>.</summary>
    public override string ToString() => $"<Event {(_flag ? "set" : "clear")}, {WaitersText}>";
}
