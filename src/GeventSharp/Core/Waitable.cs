namespace GeventSharp;

/// <summary>
/// The base of everything a greenlet can wait on and link to: <see cref="Greenlet"/>, events,
/// results, semaphores. It owns the FIFO of waiting greenlets and the list of link callbacks.
/// </summary>
/// <remarks>
/// <para>Wake-ups are never run inline: making a waitable ready schedules its waiters on the hub,
/// in the order they started waiting, and schedules each link callback; the code that made it
/// ready keeps running until it yields.</para>
/// <para>Link callbacks are one-shot: each runs once, on the hub, when the object becomes (or, if
/// it already is, immediately after being linked is) ready, and is then removed.</para>
/// <para>Not thread-safe: use a waitable only from greenlets of the hub that first used it.</para>
/// </remarks>
public abstract class Waitable
{
    // Waiters and link callbacks share one lazily created object (the list keeps the links), so a
    // waitable nobody waits on or links to costs one null reference.
    private WaitList? _waiters;

    /// <summary>Creates a waitable; only the library derives from this type.</summary>
    private protected Waitable()
    {
    }

    /// <summary>True when a wait on this object would return at once.</summary>
    public abstract bool Ready { get; }

    /// <summary>Greenlets currently blocked on this object.</summary>
    public int WaiterCount => _waiters?.Count ?? 0;

    /// <summary>The waiting greenlets, for internal use.</summary>
    private protected WaitList Waiters => _waiters ??= new WaitList();

    /// <summary>The waiting greenlets, or <see langword="null"/> if none ever waited.</summary>
    private protected WaitList? WaitersOrNull => _waiters;

    /// <summary>
    /// Registers <paramref name="callback"/> to run on the hub once this object is ready; if it is
    /// ready now, the callback is scheduled at once.
    /// </summary>
    /// <param name="callback">Receives this object. Exceptions it throws go to the hub's error handler.</param>
    /// <example><code>evt.Rawlink(w => Console.WriteLine("set!"));</code></example>
    public void Rawlink(Action<Waitable> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        AddLink(Hub.CurrentOrThrow("Link"), new LinkEntry(callback, LinkKind.Raw));
    }

    /// <summary>Removes a callback registered with <see cref="Rawlink"/> (or a greenlet's <c>Link</c> family); false if it was not registered.</summary>
    public bool Unlink(Delegate callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        List<LinkEntry>? links = _waiters?.Links;
        if (links is null)
        {
            return false;
        }

        int i = links.FindIndex(e => Equals(e.Callback, callback));
        if (i < 0)
        {
            return false;
        }

        links.RemoveAt(i);
        return true;
    }

    /// <summary>Registers a link made on <paramref name="hub"/>'s thread; schedules it at once if the object is ready.</summary>
    private protected virtual void AddLink(Hub hub, LinkEntry entry)
    {
        if (Ready)
        {
            hub.ScheduleLink(this, entry);
            return;
        }

        (Waiters.Links ??= new List<LinkEntry>()).Add(entry);
    }

    /// <summary>Runs one link callback; called by the hub after the object became ready.</summary>
    internal virtual void InvokeLink(in LinkEntry entry) => ((Action<Waitable>)entry.Callback)(this);

    /// <summary>Link callbacks not yet run.</summary>
    public int LinkCount => _waiters?.Links?.Count ?? 0;

    /// <summary>
    /// Wakes every waiting greenlet (FIFO) with <paramref name="result"/> and schedules every link
    /// callback, then forgets the callbacks.
    /// </summary>
    private protected void NotifyAll(Hub hub, bool result = true)
    {
        _waiters?.WakeAll(result);
        if (_waiters?.Links is { Count: > 0 } links)
        {
            foreach (LinkEntry entry in links)
            {
                hub.ScheduleLink(this, entry);
            }

            links.Clear();
        }
    }

    /// <summary>
    /// Blocks the current greenlet until this object is woken by <see cref="NotifyAll"/>, the
    /// timeout elapses (false), or the token is cancelled.
    /// </summary>
    private protected ValueTask<bool> WaitCoreAsync(Greenlet current, long timeoutTicks, CancellationToken cancellationToken)
        => current.SuspendOn(this, Waiters, timeoutTicks, cancellationToken);

    /// <summary>
    /// The body of every "wait until ready" call: true at once if <see cref="Ready"/>, false at
    /// once for a zero timeout, otherwise suspends the current greenlet (see <see cref="WaitCoreAsync"/>).
    /// </summary>
    private protected ValueTask<bool> WaitUntilReadyAsync(string api, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (Ready)
        {
            return new ValueTask<bool>(true);
        }

        Greenlet current = Hub.CurrentGreenletOrThrow(api);
        long ticks = current.Hub.TimeoutToTicks(timeout);
        return ticks == 0 ? new ValueTask<bool>(false) : WaitCoreAsync(current, ticks, cancellationToken);
    }

    /// <summary>A short description of the state for <c>ToString</c>, e.g. "set" or "3 waiters".</summary>
    private protected string WaitersText => WaiterCount == 1 ? "1 waiter" : $"{WaiterCount} waiters";
}

/// <summary>Which callbacks a link runs.</summary>
internal enum LinkKind : byte
{
    /// <summary>An <c>Action&lt;Waitable&gt;</c>, always.</summary>
    Raw,

    /// <summary>An <c>Action&lt;Greenlet&gt;</c>, always.</summary>
    Any,

    /// <summary>An <c>Action&lt;Greenlet&gt;</c>, only if the greenlet succeeded.</summary>
    Value,

    /// <summary>An <c>Action&lt;Greenlet&gt;</c>, only if the greenlet failed.</summary>
    Exception,
}

/// <summary>A registered link callback.</summary>
internal readonly record struct LinkEntry(Delegate Callback, LinkKind Kind);
