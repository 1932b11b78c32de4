using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace GeventSharp;

/// <summary>
/// A growable FIFO ring buffer with a power-of-two capacity, so an index wraps with a mask. The
/// hub's single-threaded stores (wait lists, channel hand-offs, queue items) keep their items here.
/// </summary>
/// <remarks>
/// <para>A mutable struct: keep it in a field that is not <c>readonly</c> and call it in place, never
/// through a copy. Vacated slots are cleared so the ring holds no references it no longer needs.</para>
/// <para>Up to <see cref="ChunkLength"/> items (at most 64 KB) the items are one array. A bigger ring
/// (a million greenlets waiting on one event) keeps them in chunks of that size, so it never
/// allocates on the large-object heap (whose allocations start full, background collections) and
/// growing it moves one chunk's worth of items, not all of them.</para>
/// </remarks>
/// <typeparam name="T">The type of the items.</typeparam>
internal struct Ring<T>
{
    /// <summary>Items per chunk of a big ring: a power of two, at most 64 KB of items.</summary>
    internal static readonly int ChunkLength = ChunkLengthFor(Unsafe.SizeOf<T>());

    private static readonly int s_chunkShift = System.Numerics.BitOperations.Log2((uint)ChunkLength);

    private T[] _items; // the items while the ring is small; null once it is chunked
    private T[]?[]? _chunks; // a big ring's chunks (a chunk not used yet is null)
    private int _mask; // capacity - 1
    private int _head;
    private int _count;

    /// <summary>Creates an empty ring with room for <paramref name="capacity"/> (a power of two) items before it grows.</summary>
    public Ring(int capacity)
    {
        Debug.Assert(capacity > 0 && (capacity & (capacity - 1)) == 0, "the ring's capacity must be a power of two");
        if (capacity <= ChunkLength)
        {
            _items = new T[capacity];
        }
        else
        {
            _items = null!;
            _chunks = new T[]?[capacity / ChunkLength];
        }

        _mask = capacity - 1;
    }

    /// <summary>Items held.</summary>
    public readonly int Count => _count;

    /// <summary>Items the ring holds before it grows.</summary>
    public readonly int Capacity => _mask + 1;

    /// <summary>The item <paramref name="index"/> places from the head (0: the oldest).</summary>
    public readonly ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            int p = (_head + index) & _mask;
            return ref _chunks is null ? ref _items[p] : ref _chunks[p >> s_chunkShift]![p & (ChunkLength - 1)];
        }
    }

    /// <summary>False for a default ring, whose storage was never created.</summary>
    public readonly bool IsAllocated => _items is not null || _chunks is not null;

    /// <summary>Adds <paramref name="item"/> at the tail, growing the ring if it is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(T item) => EnqueueSlot() = item;

    /// <summary>Makes room for one item at the tail and returns its (cleared) slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref T EnqueueSlot()
    {
        if (_count > _mask)
        {
            Grow();
        }

        int p = (_head + _count) & _mask;
        _count++;
        if (_chunks is null)
        {
            return ref _items[p];
        }

        return ref (_chunks[p >> s_chunkShift] ??= new T[ChunkLength])[p & (ChunkLength - 1)];
    }

    /// <summary>Removes and returns the oldest item.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Dequeue()
    {
        Debug.Assert(_count > 0, "Dequeue on an empty ring");
        ref T slot = ref this[0];
        T item = slot;
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            slot = default!;
        }

        _head = (_head + 1) & _mask;
        _count--;
        return item;
    }

    /// <summary>The newest item.</summary>
    public readonly ref T Tail => ref this[_count - 1];

    /// <summary>Removes every item.</summary>
    public void Clear()
    {
        for (int i = 0; i < _count; i++)
        {
            this[i] = default!;
        }

        _head = 0;
        _count = 0;
    }

    private static int ChunkLengthFor(int itemSize)
    {
        int n = 16;
        while (n * 2L * itemSize <= 64 * 1024)
        {
            n *= 2;
        }

        return n;
    }

    private void Grow()
    {
        int capacity = _mask + 1;
        if (capacity < ChunkLength)
        {
            var bigger = new T[capacity * 2];
            for (int i = 0; i < _count; i++)
            {
                bigger[i] = this[i];
            }

            _items = bigger;
            _head = 0;
            _mask = bigger.Length - 1;
            return;
        }

        // Full and chunked (or a full single array of one chunk's size): the chunks move, in ring
        // order from the head's chunk, to the front of a directory twice as long. The head keeps its
        // offset; the items before it in the head's chunk (the newest ones, which wrapped around) move
        // to the chunk after the old ones, where the ring now continues.
        T[]?[] old = _chunks ?? [_items];
        int n = old.Length;
        int headChunk = _head >> s_chunkShift;
        int offset = _head & (ChunkLength - 1);
        var chunks = new T[]?[n * 2];
        for (int k = 0; k < n; k++)
        {
            chunks[k] = old[(headChunk + k) % n];
        }

        if (offset > 0)
        {
            T[] wrapped = chunks[0]!;
            var next = new T[ChunkLength];
            Array.Copy(wrapped, next, offset);
            Array.Clear(wrapped, 0, offset);
            chunks[n] = next;
        }

        _chunks = chunks;
        _items = null!;
        _head = offset;
        _mask = (n * 2 * ChunkLength) - 1;
    }
}
