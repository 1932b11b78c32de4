using Microsoft.Extensions.Logging;

namespace GeventSharp;

/// <summary>Settings for a hub created by <see cref="Gevent.Run(Func{Task}, HubOptions?)"/>.</summary>
/// <remarks>
/// The hub reads them once, when it is created; changing them later changes nothing. The settable
/// properties bind from <c>IConfiguration</c> (<c>"MonitorThreshold": "00:00:00.250"</c>,
/// <c>"ThreadPoolSize": 4</c>, <c>"Poller": "Portable"</c>): GeventSharp.Hosting's
/// <c>AddGeventHub(name, configSectionPath)</c> does it.
/// </remarks>
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
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>
    /// Receives every failure that escapes a greenlet (and every exception thrown by a hub
    /// callback). By default: logged through <see cref="LoggerFactory"/> when one is set, else
    /// written to standard error by <see cref="Hub.DefaultErrorHandler"/>. A handler set here wins
    /// over the logger.
    /// </summary>
    public Action<Greenlet?, Exception>? ErrorHandler { get; set; }

    /// <summary>
    /// Where the hub and the servers on it log (docs/logging.md): greenlet failures, monitor
    /// reports, accept errors, rejected HTTP requests and the HTTP access log, with event IDs and
    /// structured properties. Null (the default): nothing is logged, and failures and monitor
    /// reports go to standard error as <see cref="Hub.DefaultErrorHandler"/> writes them.
    /// GeventSharp.Hosting gives its hubs the host's <see cref="ILoggerFactory"/>.
    /// </summary>
    /// <example>
    /// <code>
    /// using ILoggerFactory loggers = LoggerFactory.Create(b =&gt; b.AddSimpleConsole());
    /// Gevent.Run(MainAsync, new HubOptions { LoggerFactory = loggers });
    /// </code>
    /// </example>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Which I/O poller the hub uses; <see cref="PollerKind.Auto"/> (epoll on Linux) by default.
    /// The environment variable <c>GEVENTSHARP_POLLER</c> (<c>epoll</c> or <c>portable</c>) overrides
    /// <see cref="PollerKind.Auto"/>.
    /// </summary>
    public PollerKind Poller { get; set; }

    /// <summary>
    /// How long a greenlet may hold the hub before the monitor reports it through the
    /// <see cref="ErrorHandler"/> (as a <see cref="HubBlockedException"/>): 100 ms by default, as
    /// gevent's <c>max_blocking_time</c>, in every build. Null or <see cref="TimeSpan.Zero"/> turns
    /// the monitor off. The monitor is one background thread that samples the hub every quarter
    /// threshold; the hub's own cost is two increments per item it runs, paid with or without it.
    /// </summary>
    /// <example><code>Gevent.Run(MainAsync, new HubOptions { MonitorThreshold = null }); // no monitor</code></example>
    public TimeSpan? MonitorThreshold { get; set; } = DefaultMonitorThreshold;

    /// <summary>
    /// Captures the stack of the blocked hub thread for the monitor's report (called on the
    /// monitor thread while the hub is still blocked). .NET cannot read another thread's stack
    /// in-process, so the library leaves this to a diagnostics package:
    /// <c>GeventSharp.Diagnostics.HubStacks.Capture</c> (ClrMD) fits. Null (the default): reports
    /// name the greenlet and its function only.
    /// </summary>
    public Func<Thread, string?>? MonitorStackCapture { get; set; }

    /// <summary>
    /// Record which greenlet spawned each greenlet, for <see cref="Hub.FormatRunInfo"/>. Costs a
    /// small (40 B) object per greenlet, so it is off by default in Release builds (on in Debug builds).
    /// </summary>
    public bool RecordSpawners { get; set; } = DefaultRecordSpawners;

    /// <summary>The most worker threads <see cref="Hub.ThreadPool"/> starts; 10 by default, as gevent's.</summary>
    public int ThreadPoolSize { get; set; } = 10;

    private static readonly TimeSpan? DefaultMonitorThreshold = TimeSpan.FromMilliseconds(100);

#if DEBUG
    private const bool DefaultRecordSpawners = true;
#else
    private const bool DefaultRecordSpawners = false;
#endif
}
