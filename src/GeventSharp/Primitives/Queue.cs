namespace GeventSharp;

/// <summary>
/// A FIFO queue for passing items between greenlets, optionally bounded (gevent's
/// <c>gevent.queue.Queue</c>). Waiting, fairness, timeouts and shutdown are described on
/// <see cref="QueueBase{T}"/>, which it shares with <see cref="LifoQueue{T}"/>,
/// <see cref="PriorityQueue{T}"/> and <see cref="JoinableQueue{T}"/>.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <remarks>
/// Name clash: <c>System.Collections.Generic.Queue&lt;T&gt;</c> is imported by implicit usings;
/// outside the <c>GeventSharp</c> namespace write <c>using GQueue = GeventSharp.Queue&lt;int&gt;;</c> or
/// qualify the name (<c>GeventSharp.Queue&lt;int&gt;</c>).
/// </remarks>
/// <example>
/// <code>
/// var products = new Queue&lt;int&gt;();
/// Gevent.Spawn(async () =&gt; { for (int i = 1; i &lt; 10; i++) await products.PutAsync(i); products.Shutdown(); });
/// await foreach (int p in products)
/// {
///     Console.WriteLine($"got product {p}");
/// }
/// </code>
/// </example>
public sealed class Queue<T> : QueueBase<T>
{
    /// <summary>Creates a queue holding at most <paramref name="maxsize"/> items; null (or 0, as in gevent) is unbounded.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxsize"/> is negative.</exception>
    public Queue(int? maxsize = null)
        : base(maxsize)
    {
    }
}
