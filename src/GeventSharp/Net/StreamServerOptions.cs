namespace GeventSharp.Net;

/// <summary>Settings of a <see cref="StreamServer"/>.</summary>
/// <example><code>new StreamServerOptions { MaxConnections = 1000, Backlog = 4096 }</code></example>
public sealed class StreamServerOptions
{
    /// <summary>
    /// The listen backlog: how many connections the kernel queues for the server to accept. By
    /// default the system's maximum (Linux: <c>/proc/sys/net/core/somaxconn</c>, 4096 since 5.4),
    /// or 512 (Kestrel's) where that cannot be read. Linux caps any larger value at that maximum.
    /// </summary>
    /// <remarks>A burst of connects larger than the backlog overflows it, and each connect that
    /// overflowed waits for its SYN to be sent again (1 s, then 3 s...): gevent's 128 is too small
    /// for a crowd.</remarks>
    public int Backlog { get; set; } = ListenBacklog.SystemDefault;

    /// <summary>
    /// The most handlers that run at once; null (the default) for no cap. While the cap is reached
    /// the server stops accepting.
    /// </summary>
    public int? MaxConnections { get; set; }

    /// <summary>
    /// The group each handler greenlet joins (gevent's <c>spawn=</c> argument). A <see cref="GeventSharp.Pool"/>
    /// caps the handlers: while it is full the server stops accepting, and connections wait in the
    /// listen backlog. The pool may be shared with other work; stopping the server stops only its
    /// own handlers. Null (the default): handlers belong to no group.
    /// </summary>
    /// <example><code>var pool = new Pool(100); new StreamServer(endpoint, HandleAsync, new StreamServerOptions { Pool = pool });</code></example>
    public Group? Pool { get; set; }

    /// <summary>Sets SO_REUSEPORT on the listener, so several hubs (threads or processes) can share the port.</summary>
    public bool ReusePort { get; set; }

    /// <summary>
    /// How long a stop lets running handlers finish before it kills them (gevent's
    /// <c>stop_timeout</c>); 1 s by default. Used by <see cref="StreamServer.ServeForeverAsync"/>
    /// and by <see cref="StreamServer.StopAsync(TimeSpan?)"/> without a timeout.
    /// </summary>
    /// <example><code>new StreamServerOptions { StopTimeout = TimeSpan.FromSeconds(25) } // under Kubernetes' 30 s grace period</code></example>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(1);
}
