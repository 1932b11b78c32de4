using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace GeventSharp;

/// <summary>One unit of work in the hub's ready queue.</summary>
/// <remarks>
/// With no <see cref="Callback"/>, the item resumes (or starts) <see cref="Greenlet"/>.
/// With a callback, the callback runs with <see cref="Greenlet"/> as the current greenlet
/// (null for hub-level callbacks such as link notifications).
/// </remarks>
internal struct WorkItem
{
    public Greenlet? Greenlet;
    public Delegate? Callback; // Action<object?> or SendOrPostCallback
    public object? State;

    public WorkItem(Greenlet? greenlet, Delegate? callback, object? state)
    {
        Greenlet = greenlet;
        Callback = callback;
        State = state;
    }
}

/// <summary>A growable FIFO ring buffer of <see cref="WorkItem"/>; single-threaded (hub only).</summary>
internal sealed class ReadyQueue
{
    private const int InitialCapacity = 256;

    // Above this many slots (1.5 MB), an emptied queue gives its array back: a burst of a million
    // ready greenlets must not pin 24 MB for the life of the hub. Re-growing costs O(burst), the
    // same order as running the burst, so bursty loads pay a constant factor at most.
    private const int TrimAboveCapacity = 65_536;

    private Ring<WorkItem> _items = new(InitialCapacity);

    public int Count => _items.Count;

    public void Enqueue(in WorkItem item) => _items.Enqueue(item);

    /// <summary>
    /// Enqueues a plain resume of <paramref name="greenlet"/> (no callback): the hot path of every
    /// switch. Dequeued slots are cleared, so only the greenlet reference is written (one GC write
    /// barrier instead of three for a whole <see cref="WorkItem"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EnqueueResume(Greenlet greenlet)
    {
        ref WorkItem slot = ref _items.EnqueueSlot();
        Debug.Assert(slot.Greenlet is null && slot.Callback is null && slot.State is null);
        slot.Greenlet = greenlet;
    }

    public bool TryDequeue(out WorkItem item)
    {
        if (_items.Count == 0)
        {
            item = default;
            return false;
        }

        item = _items.Dequeue();
        if (_items.Count == 0 && _items.Capacity > TrimAboveCapacity)
        {
            _items = new Ring<WorkItem>(InitialCapacity);
        }

        return true;
    }
}
