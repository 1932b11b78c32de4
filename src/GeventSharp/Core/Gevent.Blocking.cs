namespace GeventSharp;

/// <summary>Blocking work off the hub.</summary>
public static partial class Gevent
{
    /// <summary>
    /// Runs the blocking <paramref name="function"/> on the hub's <see cref="Hub.ThreadPool"/>; the
    /// current greenlet waits cooperatively and gets the result or the exception.
    /// </summary>
    /// <example><code>byte[] data = await Gevent.RunBlockingAsync(() =&gt; File.ReadAllBytes(path));</code></example>
    public static ValueTask<T> RunBlockingAsync<T>(Func<T> function, CancellationToken cancellationToken = default)
        => Hub.CurrentOrThrow("Gevent.RunBlockingAsync").ThreadPool.RunAsync(function, cancellationToken);

    /// <summary>Runs the blocking <paramref name="action"/> on the hub's <see cref="Hub.ThreadPool"/>; see <see cref="RunBlockingAsync{T}(Func{T}, CancellationToken)"/>.</summary>
    public static ValueTask RunBlockingAsync(Action action, CancellationToken cancellationToken = default)
        => Hub.CurrentOrThrow("Gevent.RunBlockingAsync").ThreadPool.RunAsync(action, cancellationToken);
}
