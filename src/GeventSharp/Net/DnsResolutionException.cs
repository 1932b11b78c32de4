using System.Net.Sockets;

namespace GeventSharp.Net;

/// <summary>
/// A name could not be resolved (no such host, no address of the requested family, no answer
/// from the servers) — the one "name not found" error of every <see cref="GreenDns"/> resolver
/// (gevent's <c>socket.gaierror</c>).
/// </summary>
/// <remarks>
/// It is a <see cref="SocketException"/> (<see cref="SocketError.HostNotFound"/>, or
/// <see cref="SocketError.TryAgain"/> when the servers did not answer). When a hub first resolves
/// a name, it adds this type to <see cref="Hub.NotErrors"/>: a greenlet that dies of a failed
/// lookup is not reported as a crash, as in gevent.
/// </remarks>
/// <example>
/// <code>
/// try { await GreenDns.GetHostAddressesAsync("no-such-host.invalid"); }
/// catch (DnsResolutionException e) { Console.WriteLine(e.HostName + ": " + e.Message); }
/// </code>
/// </example>
public sealed class DnsResolutionException : SocketException
{
    private readonly string _message;

    /// <summary>Creates the exception for <paramref name="hostName"/>.</summary>
    public DnsResolutionException(string hostName, string message, SocketError error = SocketError.HostNotFound, Exception? innerException = null)
        : base((int)error)
    {
        HostName = hostName;
        _message = message;
        Inner = innerException;
    }

    /// <summary>The name (or address, for reverse lookups) that failed.</summary>
    public string HostName { get; }

    /// <summary>The resolver's own error, if any.</summary>
    public Exception? Inner { get; }

    /// <inheritdoc/>
    public override string Message => _message;
}
