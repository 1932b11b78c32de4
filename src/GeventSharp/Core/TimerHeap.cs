using System.Diagnostics;

namespace GeventSharp;

/// <summary>Something the hub calls when a timer it scheduled is due.</summary>
internal interface ITimerTarget
{
    /// <summary>Runs on the hub when the timer registered with <paramref name="token"/> is due.</summary>
    void OnTimer(long token);

    /// <summary>False once the timer with <paramref name="token"/> was cancelled (lazy deletion).</summary>
    bool IsTimerLive(long token);
}

/// <summary>A binary min-heap of timers ordered by due time, then by insertion order.</summary>
/// <remarks>
/// Cancellation is lazy: a cancelled entry stays in the heap until it reaches the top or until
/// cancelled entries outnumber live ones, when the heap is rebuilt. Most timeouts are cancelled
/// before they fire, so cancel must be O(1) and allocation-free.
/// </remarks>
internal sealed class TimerHeap
{
    private struct Entry
    {
        public long Due;
        public long Seq;
        public ITimerTarget Target;
        public long Token;
    }

    private Entry[] _heap = new Entry[64];
    private int _count;
    private long _seq;
    private int _cancelled;

    /// <summary>Entries in the heap, cancelled ones included.</summary>
    public int Count => _count;

    /// <summary>Entries that are still live (an upper bound: stale entries are only known once counted).</summary>
    public int LiveCount => _count - _cancelled;

    public void Add(long due, ITimerTarget target, long token)
    {
        if (_count == _heap.Length)
        {
            Array.Resize(ref _heap, _heap.Length * 2);
        }

        var entry = new Entry { Due = due, Seq = _seq++, Target = target, Token = token };
        SiftUp(_count++, entry);
    }

    /// <summary>Records that one entry went stale; rebuilds the heap when stale entries dominate.</summary>
    public void NoteCancelled()
    {
        _cancelled++;
        if (_cancelled > 64 && _cancelled * 2 > _count)
        {
            Compact();
        }
    }

    /// <summary>The due time of the earliest live timer, or <see langword="false"/> if there is none.</summary>
    public bool TryPeekDue(out long due)
    {
        while (_count > 0)
        {
            ref Entry top = ref _heap[0];
            if (top.Target.IsTimerLive(top.Token))
            {
                due = top.Due;
                return true;
            }

            RemoveTop();
            _cancelled = Math.Max(0, _cancelled - 1);
        }

        due = 0;
        return false;
    }

    /// <summary>True if a live timer other than those <paramref name="exempt"/> picks out is pending (a scan: for rare checks only).</summary>
    public bool AnyLiveExcept(Func<ITimerTarget, bool> exempt)
    {
        for (int i = 0; i < _count; i++)
        {
            ref Entry e = ref _heap[i];
            if (e.Target.IsTimerLive(e.Token) && !exempt(e.Target))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Removes and returns the earliest timer if it is due at <paramref name="now"/>.</summary>
    public bool TryPopDue(long now, out ITimerTarget target, out long token)
    {
        while (_count > 0)
        {
            Entry top = _heap[0];
            if (!top.Target.IsTimerLive(top.Token))
            {
                RemoveTop();
                _cancelled = Math.Max(0, _cancelled - 1);
                continue;
            }

            if (top.Due > now)
            {
                break;
            }

            RemoveTop();
            target = top.Target;
            token = top.Token;
            return true;
        }

        target = null!;
        token = 0;
        return false;
    }

    private void RemoveTop()
    {
        _count--;
        Entry last = _heap[_count];
        _heap[_count] = default;
        if (_count > 0)
        {
            SiftDown(0, last);
        }
    }

    private void Compact()
    {
        int live = 0;
        for (int i = 0; i < _count; i++)
        {
            if (_heap[i].Target.IsTimerLive(_heap[i].Token))
            {
                _heap[live++] = _heap[i];
            }
        }

        Array.Clear(_heap, live, _count - live);
        _count = live;
        _cancelled = 0;
        for (int i = (_count / 2) - 1; i >= 0; i--)
        {
            SiftDown(i, _heap[i]);
        }
    }

    private static bool Less(in Entry a, in Entry b) => a.Due < b.Due || (a.Due == b.Due && a.Seq < b.Seq);

    private void SiftUp(int index, Entry entry)
    {
        while (index > 0)
        {
            int parent = (index - 1) >> 1;
            if (!Less(entry, _heap[parent]))
            {
                break;
            }

            _heap[index] = _heap[parent];
            index = parent;
        }

        _heap[index] = entry;
    }

    private void SiftDown(int index, Entry entry)
    {
        Debug.Assert(index < _count);
        while (true)
        {
            int child = (2 * index) + 1;
            if (child >= _count)
            {
                break;
            }

            if (child + 1 < _count && Less(_heap[child + 1], _heap[child]))
            {
                child++;
            }

            if (!Less(_heap[child], entry))
            {
                break;
            }

            _heap[index] = _heap[child];
            index = child;
        }

        _heap[index] = entry;
    }
}
