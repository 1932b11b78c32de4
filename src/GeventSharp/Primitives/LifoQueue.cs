namespace GeventSharp;

/// <summary>
/// A queue that hands out the most recently added item first (gevent's
/// <c>gevent.queue.LifoQueue</c>). Waiting, fairness among waiters, timeouts and shutdown are as
/// for every queue (<see cref="QueueBase{T}"/>).
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <example>
/// <code>
/// var stack = new LifoQueue&lt;int&gt;();
/// stack.TryPut(1);
/// stack.TryPut(2);
/// stack.TryGet(out int top); // 2
/// </code>
/// </example>
public sealed class LifoQueue<T> : QueueBase<T>
{
    private readonly Stack<T> _items = new();

    /// <summary>Creates a LIFO queue holding at most <paramref name="maxsize"/> items; null is unbounded.</summary>
    public LifoQueue(int? maxsize = null)
        : base(maxsize)
    {
    }

    private protected override int StoredCount => _items.Count;

    private protected override void StoreItem(T item) => _items.Push(item);

    private protected override T TakeItem() => _items.Pop();

    private protected override T PeekItem() => _items.Peek();

    private protected override void ClearItems() => _items.Clear();
}
