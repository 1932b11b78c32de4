using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace GeventSharp;

/// <summary>
/// The hub's FIFO of <see cref="WorkItem"/>s, kept in a chain of fixed-size segments; single-threaded (hub only).
/// </summary>
/// <remarks>
/// <para>A segment holds <see cref="SegmentSize"/> items (12 KB, well below the large-object heap's
/// threshold), so a burst of a million ready greenlets neither allocates a 24 MB array on the large-object
/// heap (whose allocations trigger full collections) nor copies the queue at each doubling: it links
/// segments. A segment the head has read to its end is kept for reuse (up to <see cref="MaxSpareSegments"/>),
/// so a busy hub whose queue walks through segments (a Sleep(0) loop) allocates nothing in steady state, and
/// after a burst at most 1.5 MB stays pinned for the next one.</para>
/// <para>When the queue empties, the head and tail go back to the start of the same segment, so a
/// queue that keeps emptying (most hubs) uses one segment and never walks.</para>
/// </remarks>
internal sealed class ReadyQueue
{
    /// <summary>Items per segment.</summary>
    internal const int SegmentSize = 512;

    /// <summary>The most emptied segments kept for reuse (with the one in use: 65,536 items, 1.5 MB).</summary>
    internal const int MaxSpareSegments = 127;

    private Segment _head;
    private WorkItem[] _headItems; // _head.Items, read without the extra indirection
    private int _headIndex; // the next item to read in _head
    private Segment _tail;
    private WorkItem[] _tailItems; // _tail.Items
    private int _tailIndex; // the next free slot in _tail
    private int _count;
    private Segment? _spare; // emptied segments, linked through Next
    private int _spareCount;

    public ReadyQueue()
    {
        _head = _tail = new Segment();
        _headItems = _tailItems = _head.Items;
    }

    public int Count => _count;

    /// <summary>Segments kept for reuse, for tests.</summary>
    internal int SpareSegments => _spareCount;

    public void Enqueue(in WorkItem item) => EnqueueSlot() = item;

    /// <summary>
    /// Enqueues a plain resume of <paramref name="greenlet"/> (no callback): the hot path of every
    /// switch. Dequeued slots are cleared, so only the greenlet reference is written (one GC write
    /// barrier instead of three for a whole <see cref="WorkItem"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EnqueueResume(Greenlet greenlet)
    {
        ref WorkItem slot = ref EnqueueSlot();
        Debug.Assert(slot.Greenlet is null && slot.Callback is null && slot.State is null);
        slot.Greenlet = greenlet;
    }

    public bool TryDequeue(out WorkItem item)
    {
        if (_count == 0)
        {
            item = default;
            return false;
        }

        ref WorkItem slot = ref DequeueSlot();
        item = slot;
        slot = default;
        return true;
    }

    /// <summary>
    /// Takes the head item off the queue (<see cref="Count"/> must be above zero) and returns its
    /// slot, which the caller reads into locals and then clears before running anything: copying a
    /// whole <see cref="WorkItem"/> out through a reference would write its three references through
    /// GC write barriers on every switch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref WorkItem DequeueSlot()
    {
        Debug.Assert(_count > 0);
        int i = _headIndex;
        WorkItem[] items = _headItems;
        if ((uint)i >= (uint)items.Length)
        {
            items = AdvanceHead();
            i = 0;
        }

        _headIndex = i + 1;
        if (--_count == 0)
        {
            // Empty: the head is in the tail's segment. Start it over, so a queue that keeps
            // emptying stays in one segment (the caller clears the slot before anything is enqueued).
            Debug.Assert(ReferenceEquals(_head, _tail) && _headIndex == _tailIndex);
            _headIndex = 0;
            _tailIndex = 0;
        }

        return ref items[i];
    }

    /// <summary>A cleared slot at the tail, counted: the caller fills it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref WorkItem EnqueueSlot()
    {
        int i = _tailIndex;
        WorkItem[] items = _tailItems;
        if ((uint)i >= (uint)items.Length)
        {
            items = AddTailSegment();
            i = 0;
        }

        _tailIndex = i + 1;
        _count++;
        return ref items[i];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private WorkItem[] AddTailSegment()
    {
        Segment next;
        if (_spare is { } spare)
        {
            _spare = spare.Next;
            _spareCount--;
            spare.Next = null;
            next = spare;
        }
        else
        {
            next = new Segment();
        }

        _tail.Next = next;
        _tail = next;
        _tailItems = next.Items;
        _tailIndex = 0;
        return next.Items;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private WorkItem[] AdvanceHead()
    {
        Segment done = _head;
        Segment next = done.Next!;
        Debug.Assert(next is not null, "the head read past the last segment");
        done.Next = null;
        if (_spareCount < MaxSpareSegments)
        {
            done.Next = _spare; // its slots were cleared as they were read
            _spare = done;
            _spareCount++;
        }

        _head = next;
        _headItems = next.Items;
        _headIndex = 0;
        return next.Items;
    }

    private sealed class Segment
    {
        public readonly WorkItem[] Items = new WorkItem[SegmentSize];
        public Segment? Next;
    }
}
