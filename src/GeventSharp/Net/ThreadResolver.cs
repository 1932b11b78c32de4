using System.Net;
using System.Net.Sockets;

namespace GeventSharp.Net;

/// <summary>
/// The default resolver (gevent's <c>resolver_thread</c>): the operating system's resolver
/// (hosts file, nsswitch, <c>getaddrinfo</c>) called on the hub's <see cref="Hub.ThreadPool"/>,
/// so lookups run concurrently up to the pool's size while greenlets wait cooperatively.
/// </summary>
/// <example><code>GreenDns.Resolver = new ThreadResolver();</code></example>
public sealed class ThreadResolver : IGreenResolver
{
    /// <inheritdoc/>
    public async ValueTask<IPAddress[]> GetHostAddressesAsync(string host, AddressFamily family, CancellationToken cancellationToken)
    {
        GreenDns.NoteResolverUse();
        try
        {
            return await Gevent.RunBlockingAsync(() => Dns.GetHostAddresses(host, family), cancellationToken);
        }
        catch (SocketException e) when (e is not DnsResolutionException)
        {
            throw new DnsResolutionException(host, $"{host}: {e.Message}", e.SocketErrorCode == SocketError.TryAgain ? SocketError.TryAgain : SocketError.HostNotFound, e);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<string> GetHostNameAsync(IPAddress address, CancellationToken cancellationToken)
    {
        GreenDns.NoteResolverUse();
        try
        {
            return await Gevent.RunBlockingAsync(() => Dns.GetHostEntry(address).HostName, cancellationToken);
        }
        catch (SocketException e) when (e is not DnsResolutionException)
        {
            throw new DnsResolutionException(address.ToString(), $"{address}: {e.Message}", SocketError.HostNotFound, e);
        }
    }
}
