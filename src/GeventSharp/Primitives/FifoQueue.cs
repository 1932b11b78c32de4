namespace GeventSharp;

/// <summary>
/// A FIFO queue for passing items between greenlets, optionally bounded (gevent's
/// <c>gevent.queue.Queue</c>). Waiting, fairness, timeouts and shutdown are described on
/// <see cref="QueueBase{T}"/>, which it shares with <see cref="LifoQueue{T}"/>,
/// <see cref="PriorityQueue{T}"/> and <see cref="JoinableQueue{T}"/>.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <remarks>
/// Named <c>FifoQueue</c>, not gevent's <c>Queue</c>: <c>System.Collections.Generic.Queue&lt;T&gt;</c> is
/// imported by implicit usings, and a generic type cannot be aliased away, so the gevent name would
/// be ambiguous (CS0104) in every file that uses both.
/// </remarks>
/// <example>
/// <code>
/// var products = new FifoQueue&lt;int&gt;();
/// Gevent.Spawn(async () =&gt; { for (int i = 1; i &lt; 10; i++) await products.PutAsync(i); products.Shutdown(); });
/// await foreach (int p in products)
/// {
///     Console.WriteLine($"got product {p}");
/// }
/// </code>
/// </example>
public sealed class FifoQueue<T> : QueueBase<T>
{
    /// <summary>Creates a queue holding at most <paramref name="maxsize"/> items; null (or 0, as in gevent) is unbounded.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxsize"/> is negative.</exception>
    public FifoQueue(int? maxsize = null)
        : base(maxsize)
    {
    }
}
