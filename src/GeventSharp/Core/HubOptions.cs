namespace GeventSharp;

/// <summary>Settings for a hub created by <see cref="Gevent.Run(Func{Task}, HubOptions?)"/>.</summary>
/// <example>
/// <code>
/// var options = new HubOptions { ErrorHandler = (g, e) =&gt; logger.LogError(e, "{Greenlet} failed", g) };
/// Gevent.Run(MainAsync, options);
/// </code>
/// </example>
public sealed class HubOptions
{
    /// <summary>
    /// The clock the hub reads time from; <see cref="TimeProvider.System"/> by default. Tests pass
    /// the virtual clock of <c>GeventSharp.Testing</c> so timeouts run in microseconds, exactly.
    /// </summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>
    /// Receives every failure that escapes a greenlet (and every exception thrown by a hub
    /// callback); <see cref="Hub.DefaultErrorHandler"/> by default, which writes to standard error.
    /// </summary>
    public Action<Greenlet?, Exception>? ErrorHandler { get; init; }
}
