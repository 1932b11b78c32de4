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
    /// <summary>
    /// Sets <paramref name="result"/> to <paramref name="greenlet"/>'s value if it succeeds (gevent's
    /// <c>g.link_value(async_result)</c>); a failure leaves <paramref name="result"/> unset.
    /// </summary>
    /// <example><code>g.LinkValue(result); // result gets g's value, only if g succeeds</code></example>
    public static void LinkValue<T>(this Greenlet greenlet, AsyncResult<T> result)
    {
        ArgumentNullException.ThrowIfNull(greenlet);
        ArgumentNullException.ThrowIfNull(result);
        greenlet.LinkValue(result.SetFromGreenlet);
    }

    /// <summary>Sets <paramref name="result"/> to <paramref name="greenlet"/>'s typed result if it succeeds (gevent's <c>g.link_value(async_result)</c>).</summary>
    public static void LinkValue<T>(this Greenlet<T> greenlet, AsyncResult<T> result)
    {
        ArgumentNullException.ThrowIfNull(greenlet);
        ArgumentNullException.ThrowIfNull(result);
        greenlet.LinkValue(result.TypedSetter);
    }

    /// <summary>
    /// Sets <paramref name="result"/>'s exception to the one <paramref name="greenlet"/> fails with
    /// (gevent's <c>g.link_exception(async_result)</c>); success (or a kill) leaves it unset.
    /// </summary>
    /// <example><code>g.LinkException(failure); // failure.Exception is g's exception, if it fails</code></example>
    public static void LinkException<T>(this Greenlet greenlet, AsyncResult<T> result)
    {
        ArgumentNullException.ThrowIfNull(greenlet);
        ArgumentNullException.ThrowIfNull(result);
        greenlet.LinkException(result.SetFromGreenlet);
    }

    /// <summary>
    /// Removes a link to <paramref name="result"/> made with <c>Link</c>, <c>LinkValue</c> or
    /// <c>LinkException</c> (gevent's <c>g.unlink(async_result)</c>); false if there was none.
    /// </summary>
    public static bool Unlink<T>(this Greenlet greenlet, AsyncResult<T> result)
    {
        ArgumentNullException.ThrowIfNull(greenlet);
        if (result is null)
        {
            return false;
        }

        return greenlet.Unlink(new Action<Greenlet>(result.SetFromGreenlet)) || greenlet.Unlink(result.TypedSetter);
    }
}
