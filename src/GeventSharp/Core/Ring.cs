using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace GeventSharp;

/// <summary>
/// A growable FIFO ring buffer with a power-of-two capacity, so an index wraps with a mask. The
/// hub's single-threaded stores (wait lists, channel hand-offs, queue items) keep their items here.
/// </summary>
/// <remarks>
/// A mutable struct: keep it in a field that is not <c>readonly</c> and call it in place, never
/// through a copy. Vacated slots are cleared so the ring holds no references it no longer needs.
/// </remarks>
/// <typeparam name="T">The type of the items.</typeparam>
internal struct Ring<T>
{
    private T[] _items;
    private int _head;
    private int _count;

    /// <summary>Creates an empty ring with room for <paramref name="capacity"/> (a power of two) items before it grows.</summary>
    public Ring(int capacity)
    {
        Debug.Assert(capacity > 0 && (capacity & (capacity - 1)) == 0, "the ring's capacity must be a power of two");
        _items = new T[capacity];
    }

    /// <summary>Items held.</summary>
    public readonly int Count => _count;

    /// <summary>The slots allocated.</summary>
    public readonly int Capacity => _items.Length;

    /// <summary>The <paramref name="index"/>-th item from the head (0 is the oldest).</summary>
    public readonly ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref _items[(_head + index) & (_items.Length - 1)];
    }

    /// <summary>False for a ring that was never created (a default field); it holds nothing and must be created before use.</summary>
    public readonly bool IsAllocated => _items is not null;

    /// <summary>Adds <paramref name="item"/> at the tail, doubling the capacity when full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(T item) => EnqueueSlot() = item;

    /// <summary>
    /// Adds a slot at the tail and returns it, still cleared, doubling the capacity when full: a
    /// caller that fills only some fields of a struct item writes (and pays GC barriers for) only those.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref T EnqueueSlot()
    {
        if (_count == _items.Length)
        {
            Grow();
        }

        ref T slot = ref _items[(_head + _count) & (_items.Length - 1)];
        _count++;
        return ref slot;
    }

    /// <summary>Removes and returns the oldest item; the ring must not be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Dequeue()
    {
        Debug.Assert(_count > 0, "Dequeue on an empty ring");
        ref T slot = ref _items[_head];
        T item = slot;
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            slot = default!;
        }

        _head = (_head + 1) & (_items.Length - 1);
        _count--;
        return item;
    }

    /// <summary>The newest item, left in place; the ring must not be empty.</summary>
    public readonly ref T Tail => ref _items[(_head + _count - 1) & (_items.Length - 1)];

    /// <summary>Removes every item, keeping the capacity.</summary>
    public void Clear()
    {
        for (int i = 0; i < _count; i++)
        {
            this[i] = default!;
        }

        _head = 0;
        _count = 0;
    }

    private void Grow()
    {
        var bigger = new T[_items.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            bigger[i] = this[i];
        }

        _items = bigger;
        _head = 0;
    }
}
