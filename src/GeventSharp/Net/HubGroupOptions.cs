namespace GeventSharp.Net;

/// <summary>Settings of a <see cref="HubGroup"/>.</summary>
/// <example><code>new HubGroup(new HubGroupOptions { Count = 2, HubOptions = new HubOptions { MonitorThreshold = TimeSpan.FromMilliseconds(100) } })</code></example>
public sealed class HubGroupOptions
{
    /// <summary>How many hubs (threads); null (the default) for one per core (<see cref="Environment.ProcessorCount"/>).</summary>
    public int? Count { get; set; }

    /// <summary>
    /// The settings of every hub (each hub gets its own monitor, error handler calls and metrics from
    /// them; use <see cref="HubGroup.CurrentIndex"/> in an error handler to tell hubs apart). Null: the defaults.
    /// </summary>
    public HubOptions? HubOptions { get; set; }

    /// <summary>
    /// True: every hub listens with <c>SO_REUSEPORT</c> and the kernel spreads connections. False: hub
    /// 0 accepts and hands connections to the hubs in turn. Null (the default): true on Linux, where
    /// the kernel balances such listeners, false elsewhere.
    /// </summary>
    public bool? ReusePort { get; set; }

    /// <summary>The hand-off listener's backlog (when <see cref="ReusePort"/> is off); null: the system's maximum, as for <see cref="StreamServerOptions.Backlog"/>.</summary>
    public int? Backlog { get; set; }

    /// <summary>How many accepted connections may wait for each hub in hand-off mode before hub 0 stops accepting (256 by default).</summary>
    public int HandOffQueueSize { get; set; } = 256;

    /// <summary>
    /// True (the default): SIGTERM and SIGINT (Ctrl+C) stop the group gracefully instead of ending the
    /// process (a second signal during the stop ends it), and the hub threads keep the process alive.
    /// False: the caller stops the group, and the hub threads are background threads.
    /// </summary>
    public bool StopOnShutdownSignal { get; set; } = true;
}
