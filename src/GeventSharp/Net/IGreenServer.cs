using System.Net;

namespace GeventSharp.Net;

/// <summary>
/// What <see cref="HubGroup"/> needs of a server: start it, serve until stopped, stop it
/// gracefully (gevent's <c>BaseServer</c>: <c>start</c>, <c>serve_forever</c>, <c>stop(timeout)</c>).
/// <see cref="StreamServer"/>, <see cref="DatagramServer"/> and <c>GeventSharp.Http.HttpServer</c> implement it.
/// </summary>
/// <example><code>IGreenServer server = new StreamServer(endpoint, HandleAsync); server.Start();</code></example>
public interface IGreenServer
{
    /// <summary>Where the server listens: from <see cref="Start"/> on, the bound address (with the port the system chose).</summary>
    IPEndPoint Address { get; }

    /// <summary>Binds and starts serving in greenlets of its own; returns at once.</summary>
    void Start();

    /// <summary>Starts if needed and returns once the server has stopped (and drained).</summary>
    Task ServeForeverAsync();

    /// <summary>Stops accepting and lets work in flight finish for up to <paramref name="timeout"/> (null: the server's default), then ends it.</summary>
    Task StopAsync(TimeSpan? timeout = null);

    /// <summary>Like <see cref="StopAsync(TimeSpan?)"/>, with the grace period in seconds (gevent's <c>stop(timeout)</c>).</summary>
    Task StopAsync(double timeoutSeconds) => StopAsync(Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)));
}
