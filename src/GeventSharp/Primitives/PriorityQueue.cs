namespace GeventSharp;

/// <summary>
/// A queue that hands out the smallest item first, by a comparer (gevent's
/// <c>gevent.queue.PriorityQueue</c>, a heap). Waiting, fairness among waiters, timeouts and
/// shutdown are as for every queue (<see cref="QueueBase{T}"/>).
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <remarks>Items that compare equal come out in no particular order (a heap is not stable); put a sequence number in the item if order matters.</remarks>
/// <example>
/// <code>
/// var jobs = new PriorityQueue&lt;(int Priority, string Name)&gt;();
/// jobs.TryPut((2, "later"));
/// jobs.TryPut((1, "first"));
/// jobs.TryGet(out var next); // (1, "first")
/// </code>
/// </example>
public sealed class PriorityQueue<T> : QueueBase<T>
{
    private readonly System.Collections.Generic.PriorityQueue<T, T> _heap;

    /// <summary>Creates a priority queue ordered by <paramref name="comparer"/> (default: <see cref="Comparer{T}.Default"/>), holding at most <paramref name="maxsize"/> items.</summary>
    public PriorityQueue(IComparer<T>? comparer = null, int? maxsize = null)
        : base(maxsize)
    {
        _heap = new System.Collections.Generic.PriorityQueue<T, T>(comparer ?? Comparer<T>.Default);
    }

    private protected override int StoredCount => _heap.Count;

    private protected override void StoreItem(T item) => _heap.Enqueue(item, item);

    private protected override T TakeItem() => _heap.Dequeue();

    private protected override T PeekItem() => _heap.Peek();

    private protected override void ClearItems() => _heap.Clear();
}
