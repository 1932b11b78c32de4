using System.Diagnostics;

namespace GeventSharp;

/// <summary>
/// The FIFO of greenlets waiting on one waitable thing. Every primitive keeps its waiters here,
/// so fairness and wake-up scheduling are decided once.
/// </summary>
/// <remarks>
/// Single-threaded (hub only). Removal is lazy: a greenlet that stops waiting early (timeout,
/// kill, cancellation) leaves a stale entry that is skipped when reached and compacted away when
/// stale entries outnumber live ones, so removal is O(1) and allocation-free.
/// </remarks>
internal sealed class WaitList
{
    private WaitTicket[] _items;
    private int _head;
    private int _count;
    private int _stale;

    /// <summary>Creates an empty list with room for four waiters.</summary>
    public WaitList()
        : this(4)
    {
    }

    /// <summary>Creates an empty list with room for <paramref name="capacity"/> (a power of two) waiters before it grows.</summary>
    public WaitList(int capacity)
    {
        Debug.Assert(capacity > 0 && (capacity & (capacity - 1)) == 0, "the ring's capacity must be a power of two");
        _items = new WaitTicket[capacity];
    }

    /// <summary>The owner's one-shot link callbacks (kept here so a waitable has one lazy field).</summary>
    public List<LinkEntry>? Links;

    /// <summary>Live waiters.</summary>
    public int Count => _count - _stale;

    /// <summary>Registers a waiter; the greenlet has already recorded this list as the one it waits on.</summary>
    public void Add(WaitTicket ticket)
    {
        Debug.Assert(ticket.IsWaitingIn(this));
        if (_count == _items.Length)
        {
            Grow();
        }

        _items[(_head + _count) & (_items.Length - 1)] = ticket;
        _count++;
    }

    /// <summary>A waiter left without being woken (timeout, kill, cancellation).</summary>
    public void NoteStale()
    {
        Debug.Assert(_stale < _count, "more stale entries than entries: a greenlet must leave the list (clear its _waitList) before calling NoteStale");
        _stale++;
        if (_stale > 8 && _stale * 2 > _count)
        {
            Compact();
        }
    }

    /// <summary>Removes and returns the first live waiter without waking it.</summary>
    public Greenlet? Dequeue()
    {
        while (_count > 0)
        {
            ref WaitTicket e = ref _items[_head];
            Greenlet? g = e.Greenlet;
            bool live = e.IsWaitingIn(this);
            e = default;
            _head = (_head + 1) & (_items.Length - 1);
            _count--;
            if (live)
            {
                return g;
            }

            Debug.Assert(_stale > 0, "a stale entry that was not counted as stale");
            _stale--;
        }

        _stale = 0;
        return null;
    }

    /// <summary>The first live waiter, left in place.</summary>
    public Greenlet? Peek()
    {
        while (_count > 0)
        {
            WaitTicket e = _items[_head];
            if (e.IsWaitingIn(this))
            {
                return e.Greenlet;
            }

            _items[_head] = default;
            _head = (_head + 1) & (_items.Length - 1);
            _count--;
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
        int n = _count;
        for (int i = 0; i < n; i++)
        {
            ref WaitTicket e = ref _items[(_head + i) & (_items.Length - 1)];
            WaitTicket ticket = e;
            e = default;
            if (ticket.IsWaitingIn(this))
            {
                ticket.Greenlet!.WakeFromList(result);
            }
        }

        _head = 0;
        _count = 0;
        _stale = 0;
    }

    /// <summary>The live waiters, in order, for introspection.</summary>
    public List<Greenlet> Snapshot()
    {
        var list = new List<Greenlet>();
        for (int i = 0; i < _count; i++)
        {
            WaitTicket e = _items[(_head + i) & (_items.Length - 1)];
            if (e.IsWaitingIn(this))
            {
                list.Add(e.Greenlet!);
            }
        }

        return list;
    }

    private void Grow()
    {
        var bigger = new WaitTicket[_items.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            bigger[i] = _items[(_head + i) & (_items.Length - 1)];
        }

        _items = bigger;
        _head = 0;
    }

    private void Compact()
    {
        int n = 0;
        var fresh = new WaitTicket[_items.Length];
        for (int i = 0; i < _count; i++)
        {
            WaitTicket e = _items[(_head + i) & (_items.Length - 1)];
            if (e.IsWaitingIn(this))
            {
                fresh[n++] = e;
            }
        }

        _items = fresh;
        _head = 0;
        _count = n;
        _stale = 0;
    }
}
