namespace GeventSharp;

/// <summary>Links a greenlet to an <see cref="AsyncResult{T}"/>: gevent's <c>g.link(result)</c>.</summary>
/// <example>
/// <code>
/// var result = new AsyncResult&lt;object?&gt;();
/// Greenlet g = Gevent.Spawn(() =&gt; 42);
/// g.Link(result);
/// object? value = await result; // 42
/// </code>
/// </example>
public static class AsyncResultExtensions
{
    /// <summary>Delivers <paramref name="greenlet"/>'s value or exception to <paramref name="result"/> when it dies.</summary>
    public static void Link<T>(this Greenlet greenlet, AsyncResult<T> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        result.LinkTo(greenlet);
    }

    /// <summary>Delivers <paramref name="greenlet"/>'s typed result or exception to <paramref name="result"/> when it dies.</summary>
    public static void Link<T>(this Greenlet<T> greenlet, AsyncResult<T> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        result.LinkTo(greenlet);
    }
}
