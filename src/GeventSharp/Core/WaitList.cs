using System.Diagnostics;

namespace GeventSharp;

/// <summary>
/// The FIFO of greenlets waiting on one waitable thing. Every primitive keeps its waiters here,
/// so fairness and wake-up scheduling are decided once.
/// </summary>
/// <remarks>
/// Single-threaded (hub only). Removal is lazy: a greenlet that stops waiting early (timeout,
/// kill, cancellation) leaves a stale entry that is skipped when reached and compacted away when
/// stale entries outnumber live ones, so removal is O(1) and allocation-free. An entry may carry a
/// payload (a blocked put's operation, which holds its item), so what a waiter brings stays with
/// its place in line. Payloads are a second ring, in step with the first, created by the first
/// <see cref="AttachToNewest"/>: a list that never carries one (every list but a channel's putters)
/// keeps 16 bytes per waiter, not 24 (a million greenlets blocked on one gate: 8 MB).
/// </remarks>
internal sealed class WaitList
{
    private Ring<WaitTicket> _entries;
    private Ring<object?> _payloads; // not allocated until a payload is attached; then one slot per entry
    private int _stale;

    /// <summary>Creates an empty list with room for four waiters.</summary>
    public WaitList()
        : this(4)
    {
    }

    /// <summary>Creates an empty list with room for <paramref name="capacity"/> (a power of two) waiters before it grows.</summary>
    public WaitList(int capacity) => _entries = new Ring<WaitTicket>(capacity);

    /// <summary>
    /// What the greenlets in this list wait on (the primitive, or a description), for introspection:
    /// set by each wait that joins the list, so a waiting greenlet need not keep it itself.
    /// </summary>
    public object? WaitingOn;

    /// <summary>The owner's one-shot link callbacks (kept here so a waitable has one lazy field).</summary>
    public List<LinkEntry>? Links;

    /// <summary>
    /// The links of a notification under way: taken one at a time by the owner's notifier (one hub
    /// callback), so a callback that unlinks a later one stops it (gevent's <c>_notify_links</c>).
    /// Null when no notifier is scheduled.
    /// </summary>
    public List<LinkEntry>? Notifying;

    private Greenlet? _lastWoken;
    private short _lastWokenVersion;

    /// <summary>
    /// True while the last <see cref="WakeAll"/> is still being delivered: a greenlet it woke has not
    /// run yet, or its link callbacks have not all run. A wait that arrives then queues behind them
    /// (gevent #1520), instead of jumping ahead of the greenlets that were woken first.
    /// </summary>
    public bool NotificationPending => Notifying is not null || (_lastWoken is { } g && g.IsWokenAndNotResumed(_lastWokenVersion));

    /// <summary>Live waiters.</summary>
    public int Count => _entries.Count - _stale;

    /// <summary>Registers a waiter; the greenlet has already recorded this list as the one it waits on.</summary>
    public void Add(WaitTicket ticket)
    {
        Debug.Assert(ticket.IsWaitingIn(this));
        _entries.Enqueue(ticket);
        if (_payloads.IsAllocated)
        {
            _payloads.Enqueue(null);
        }
    }

    /// <summary>
    /// Attaches <paramref name="payload"/> to the waiter added last (the one that just suspended on
    /// this list); <see cref="Dequeue(out object?)"/> hands it back with that waiter.
    /// </summary>
    public void AttachToNewest(object payload)
    {
        Debug.Assert(_entries.Tail.IsWaitingIn(this));
        if (!_payloads.IsAllocated)
        {
            _payloads = new Ring<object?>(_entries.Capacity);
            for (int i = 0; i < _entries.Count; i++)
            {
                _payloads.Enqueue(null);
            }
        }

        Debug.Assert(_payloads.Count == _entries.Count && _payloads.Tail is null);
        _payloads.Tail = payload;
    }

    /// <summary>Removes the oldest entry, and its payload if the list keeps payloads.</summary>
    private WaitTicket DequeueEntry(out object? payload)
    {
        payload = _payloads.IsAllocated ? _payloads.Dequeue() : null;
        return _entries.Dequeue();
    }

    /// <summary>A waiter left without being woken (timeout, kill, cancellation).</summary>
    public void NoteStale()
    {
        Debug.Assert(_stale < _entries.Count, "more stale entries than entries: a greenlet must leave the list (clear its _waitSlot) before calling NoteStale");
        _stale++;
        if (_stale > 8 && _stale * 2 > _entries.Count)
        {
            Compact();
        }
    }

    /// <summary>Removes and returns the first live waiter without waking it.</summary>
    public Greenlet? Dequeue() => Dequeue(out _);

    /// <summary>Removes and returns the first live waiter without waking it, with the payload attached to its entry.</summary>
    public Greenlet? Dequeue(out object? payload)
    {
        while (_entries.Count > 0)
        {
            WaitTicket ticket = DequeueEntry(out payload);
            if (ticket.IsWaitingIn(this))
            {
                return ticket.Greenlet;
            }

            Debug.Assert(_stale > 0, "a stale entry that was not counted as stale");
            _stale--;
        }

        _stale = 0;
        payload = null;
        return null;
    }

    /// <summary>The first live waiter, left in place.</summary>
    public Greenlet? Peek()
    {
        while (_entries.Count > 0)
        {
            WaitTicket ticket = _entries[0];
            if (ticket.IsWaitingIn(this))
            {
                return ticket.Greenlet;
            }

            DequeueEntry(out _);
            Debug.Assert(_stale > 0, "a stale entry that was not counted as stale");
            _stale--;
        }

        _stale = 0;
        return null;
    }

    /// <summary>Wakes (schedules) the first live waiter; false if there is none.</summary>
    public bool WakeOne(bool result)
    {
        Greenlet? g = Dequeue();
        if (g is null)
        {
            return false;
        }

        g.WakeFromList(result);
        return true;
    }

    /// <summary>
    /// Fails every waiter present now, in FIFO order, with its own exception from
    /// <paramref name="error"/> (the thing they wait on is gone: a closed socket). Like a wake, the
    /// failure is scheduled; each greenlet sees it come out of its <c>await</c>.
    /// </summary>
    public void FailAll(Func<Exception> error)
    {
        // ThrowIn makes the entry stale (the greenlet leaves the list), so Peek moves on to the next.
        while (Peek() is { } g)
        {
            g.ThrowIn(error());
        }
    }

    /// <summary>Wakes every waiter present now, in FIFO order. Wake-ups are scheduled, never run inline.</summary>
    public void WakeAll(bool result)
    {
        int n = _entries.Count;
        for (int i = 0; i < n; i++)
        {
            WaitTicket ticket = _entries.Dequeue();
            if (ticket.IsWaitingIn(this))
            {
                ticket.Greenlet!.WakeFromList(result);
                _lastWoken = ticket.Greenlet;
                _lastWokenVersion = ticket.Version;
            }
        }

        if (_payloads.IsAllocated)
        {
            _payloads.Clear(); // their entries are all gone (a wake is scheduled, never run inline)
        }

        _stale = 0;
    }

    /// <summary>The live waiters, in order, for introspection.</summary>
    public List<Greenlet> Snapshot()
    {
        var list = new List<Greenlet>();
        for (int i = 0; i < _entries.Count; i++)
        {
            WaitTicket ticket = _entries[i];
            if (ticket.IsWaitingIn(this))
            {
                list.Add(ticket.Greenlet!);
            }
        }

        return list;
    }

    private void Compact()
    {
        bool withPayloads = _payloads.IsAllocated;
        var fresh = new Ring<WaitTicket>(_entries.Capacity);
        Ring<object?> freshPayloads = withPayloads ? new Ring<object?>(_entries.Capacity) : default;
        for (int i = 0; i < _entries.Count; i++)
        {
            WaitTicket ticket = _entries[i];
            if (ticket.IsWaitingIn(this))
            {
                fresh.Enqueue(ticket);
                if (withPayloads)
                {
                    freshPayloads.Enqueue(_payloads[i]);
                }
            }
        }

        _entries = fresh;
        _payloads = freshPayloads;
        _stale = 0;
    }
}
