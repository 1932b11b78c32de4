namespace GeventSharp;

/// <summary>How a hub waits for I/O: the choice behind <see cref="HubOptions.Poller"/>.</summary>
/// <remarks>
/// Green sockets behave the same with either poller; only where the waiting happens differs.
/// <see cref="Epoll"/> keeps every socket operation on the hub thread (a non-blocking syscall,
/// and on <c>EAGAIN</c> a readiness wait in <c>epoll</c>); <see cref="Portable"/> runs the
/// operations through .NET's asynchronous <see cref="System.Net.Sockets.Socket"/> APIs, whose
/// completions come back to the hub as posted work.
/// </remarks>
/// <example><code>Gevent.Run(MainAsync, new HubOptions { Poller = PollerKind.Portable });</code></example>
public enum PollerKind
{
    /// <summary><see cref="Epoll"/> on Linux (x64 and arm64), <see cref="Portable"/> elsewhere.</summary>
    Auto,

    /// <summary>The hub owns an <c>epoll</c> instance and an <c>eventfd</c>; Linux only.</summary>
    Epoll,

    /// <summary>.NET's asynchronous socket APIs; works on every platform.</summary>
    Portable,
}
