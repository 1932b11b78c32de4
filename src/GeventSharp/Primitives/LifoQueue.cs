namespace GeventSharp;

/// <summary>
/// A <see cref="Queue{T}"/> that hands out the most recently added item first (gevent's
/// <c>gevent.queue.LifoQueue</c>). Waiting, fairness among waiters, timeouts and shutdown are as
/// for <see cref="Queue{T}"/>.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <example>
/// <code>
/// var stack = new LifoQueue&lt;int&gt;();
/// stack.PutNowait(1);
/// stack.PutNowait(2);
/// int top = stack.GetNowait(); // 2
/// </code>
/// </example>
public sealed class LifoQueue<T> : Queue<T>
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
