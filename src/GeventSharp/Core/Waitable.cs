using System.Runtime.CompilerServices;
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
    // waitable nobody waits on or links to costs one null reference. A greenlet that is not dead yet,
    // with no waiter and one raw link (what JoinAllAsync and WaitAsync give each greenlet they wait
    // for), keeps that callback here instead of a WaitList: a million joined greenlets then cost
    // no list each. The callback stays here until its notification runs (or it is unlinked).
    private object? _waiters; // null, a WaitList, or an Action<Waitable> (see above)

    /// <summary>Creates a waitable; only the library derives from this type.</summary>
    private protected Waitable()
    {
    }

    /// <summary>True when a wait on this object would return at once.</summary>
    public abstract bool Ready { get; }

    /// <summary>Greenlets currently blocked on this object.</summary>
    public int WaiterCount => (_waiters as WaitList)?.Count ?? 0;

    /// <summary>The waiting greenlets, for internal use.</summary>
    private protected WaitList Waiters => _waiters as WaitList ?? CreateWaitList();

    /// <summary>The waiting greenlets, or <see langword="null"/> if none ever waited.</summary>
    private protected WaitList? WaitersOrNull => _waiters as WaitList;

    /// <summary>
    /// Creates the wait list, moving a single link kept inline into it: among the links to run, or,
    /// if its notification is already scheduled (the greenlet is dead), among the links being notified.
    /// </summary>
    private WaitList CreateWaitList()
    {
        var w = new WaitList();
        if (_waiters is Action<Waitable> single)
        {
            var links = new List<LinkEntry> { new(single, LinkKind.Raw) };
            if (Ready)
            {
                w.Notifying = links;
            }
            else
            {
                w.Links = links;
            }
        }

        _waiters = w;
        return w;
    }

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

    /// <summary><see cref="Rawlink"/> from code already running on <paramref name="hub"/>'s thread.</summary>
    internal void LinkOn(Hub hub, Action<Waitable> callback) => AddLink(hub, new LinkEntry(callback, LinkKind.Raw));

    /// <summary>
    /// Removes a callback registered with <see cref="Rawlink"/> (or a greenlet's <c>Link</c> family);
    /// false if it was not registered. A callback not yet run when this is called never runs, even if
    /// the object is already ready (so a link callback can unlink a later one). A null callback is
    /// ignored (false), as gevent's <c>unlink(None)</c>.
    /// </summary>
    public bool Unlink(Delegate? callback)
    {
        if (callback is null || _waiters is null)
        {
            return false;
        }

        if (_waiters is not WaitList w)
        {
            if (!Equals(_waiters, callback))
            {
                return false;
            }

            _waiters = null;
            return true;
        }

        return RemoveLink(w.Links, callback) || RemoveLink(w.Notifying, callback);
    }

    private static bool RemoveLink(List<LinkEntry>? links, Delegate callback)
    {
        if (links is null)
        {
            return false;
        }

        for (int i = 0; i < links.Count; i++)
        {
            if (Equals(links[i].Callback, callback))
            {
                links.RemoveAt(i);
                return true;
            }
        }

        return false;
    }

    /// <summary>Registers a link made on <paramref name="hub"/>'s thread; schedules it at once if the object is ready.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected virtual void AddLink(Hub hub, LinkEntry entry)
    {
        if (_waiters is null && entry.Kind == LinkKind.Raw && this is Greenlet && !Ready)
        {
            _waiters = entry.Callback; // the common case of a greenlet joined by JoinAllAsync: no list
            return;
        }

        WaitList w = Waiters;
        (w.Links ??= new List<LinkEntry>()).Add(entry);
        if (Ready)
        {
            ScheduleLinks(hub, w);
        }
    }

    /// <summary>Runs one link callback; called by the hub after the object became ready.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal virtual void InvokeLink(in LinkEntry entry) => ((Action<Waitable>)entry.Callback)(this);

    /// <summary>Link callbacks not yet run.</summary>
    public int LinkCount => _waiters switch
    {
        WaitList w => (w.Links?.Count ?? 0) + (w.Notifying?.Count ?? 0),
        null => 0,
        _ => 1,
    };

    /// <summary>
    /// Wakes every waiting greenlet (FIFO) with <paramref name="result"/> and schedules the link
    /// callbacks: one hub callback runs them in the order they were linked, then forgets them.
    /// </summary>
    // Once per greenlet: optimized at first call (a short program never reaches tier 1; docs/benchmarks.md, "Third pass").
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected void NotifyAll(Hub hub, bool result = true)
    {
        if (_waiters is not WaitList w)
        {
            if (_waiters is Action<Waitable> { Target: IImmediateLink } immediate)
            {
                // The library's own collector (JoinAllAsync, WaitAsync, WaitEachAsync): it only records
                // this object and schedules its waiting greenlet, so it runs now, not as a hub callback
                // of its own (half the ready-queue items when a joined greenlet dies).
                _waiters = null;
                RunLink(new LinkEntry(immediate, LinkKind.Raw));
            }
            else if (_waiters is not null)
            {
                hub.EnqueueCallback(null, s_notifyLinks, this); // the single inline link (a greenlet's)
            }

            return;
        }

        w.WakeAll(result);
        if (w.Links is { Count: > 0 } links)
        {
            if (w.Notifying is null && AllImmediate(links))
            {
                // Only the library's collectors wait here (an event in WaitAsync): they record this
                // object now, as a greenlet's single inline collector does, so arrivals keep the order
                // in which the objects became ready.
                w.Links = null;
                foreach (LinkEntry entry in links)
                {
                    RunLink(entry);
                }

                links.Clear();
                w.Links ??= links; // reuse the list
                return;
            }

            ScheduleLinks(hub, w);
        }
    }

    private static bool AllImmediate(List<LinkEntry> links)
    {
        foreach (LinkEntry entry in links)
        {
            if (entry.Callback.Target is not IImmediateLink)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Hands the pending links to the notifier, scheduling it unless it is already scheduled.</summary>
    private void ScheduleLinks(Hub hub, WaitList w)
    {
        List<LinkEntry> links = w.Links!;
        if (w.Notifying is { } running)
        {
            running.AddRange(links); // the scheduled notifier takes them in turn
            links.Clear();
            return;
        }

        w.Notifying = links;
        w.Links = null;
        hub.EnqueueCallback(null, s_notifyLinks, this);
    }

    private static readonly Action<object?> s_notifyLinks = static s => ((Waitable)s!).NotifyLinks();

    /// <summary>
    /// The notifier: runs the links of the notification one at a time, taking each from the front,
    /// so a callback that unlinks a later one (or links a new one) is heeded. A callback that throws
    /// is reported to the hub's error handler, and the others still run.
    /// </summary>
    private void NotifyLinks()
    {
        if (_waiters is not WaitList w)
        {
            if (_waiters is Action<Waitable> single)
            {
                _waiters = null;
                RunLink(new LinkEntry(single, LinkKind.Raw));
            }

            return; // null: unlinked after it was scheduled
        }

        if (w.Notifying is not { } links)
        {
            return; // nothing left: the inline link was unlinked, and a later one ran in an earlier notifier
        }

        while (links.Count > 0)
        {
            LinkEntry entry = links[0];
            links.RemoveAt(0);
            RunLink(entry);
        }

        w.Notifying = null;
        w.Links ??= links; // reuse the list
    }

    /// <summary>Runs one link callback; an exception it throws goes to the hub's error handler.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunLink(in LinkEntry entry)
    {
        try
        {
            InvokeLink(entry);
        }
        catch (Exception e)
        {
            Hub.Current!.ReportError(null, e);
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
            // Set, but still waking the greenlets that waited: queue behind them (gevent #1520).
            bool pending = _waiters is WaitList { NotificationPending: true } || _waiters is Delegate;
            return pending ? WaitYourTurnAsync(api, cancellationToken) : new ValueTask<bool>(true);
        }

        Greenlet current = Hub.CurrentGreenletOrThrow(api);
        long ticks = current.Hub.TimeoutToTicks(timeout);
        return ticks == 0 ? new ValueTask<bool>(false) : WaitCoreAsync(current, ticks, cancellationToken);
    }

    /// <summary>Goes to the back of the ready queue, behind the greenlets and callbacks a notification woke, then returns true.</summary>
    private static ValueTask<bool> WaitYourTurnAsync(string api, CancellationToken cancellationToken)
    {
        Greenlet? current = Greenlet.Current;
        if (current is null)
        {
            return new ValueTask<bool>(true); // a hub callback cannot wait: the object is ready
        }

        ValueTask<bool> wait = current.SuspendOn(api, null, -1, cancellationToken, out WaitTicket ticket);
        ticket.TryWake(true);
        return wait;
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

/// <summary>
/// Marks the target of a library link callback that may run as soon as the object it is linked to
/// becomes ready, inside the code that made it ready: it never throws and never runs user code, it only
/// records the object and wakes (schedules) a waiting greenlet. Such links run so only when they are all
/// the object's links: beside a user's link every link is scheduled, in the order they were linked,
/// so the waiting greenlet still resumes after the user's callbacks ran.
/// </summary>
internal interface IImmediateLink;

/// <summary>A registered link callback.</summary>
internal readonly record struct LinkEntry(Delegate Callback, LinkKind Kind);
