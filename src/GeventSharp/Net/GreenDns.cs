using System.Net;
using System.Net.Sockets;

namespace GeventSharp.Net;

/// <summary>
/// Cooperative name resolution (gevent's <c>gevent.socket.getaddrinfo</c>, <c>gethostbyname</c>,
/// <c>gethostbyaddr</c>): N lookups from N greenlets run concurrently and take about as long as the slowest.
/// </summary>
/// <remarks>
/// <para>The resolver is <see cref="ThreadResolver"/> (the OS resolver on the hub's thread pool)
/// unless <see cref="Resolver"/> is set, or the environment variable <c>GEVENTSHARP_RESOLVER</c>
/// says <c>dns</c>: then a <see cref="DnsResolver"/> asks the servers in
/// <c>GEVENTSHARP_RESOLVER_NAMESERVERS</c> (comma-separated <c>ip[:port]</c>; default: those of
/// <c>/etc/resolv.conf</c>) over green UDP sockets.</para>
/// <para>Every "name not found" is a <see cref="DnsResolutionException"/>; the first lookup on a
/// hub adds that type to <see cref="Hub.NotErrors"/>.</para>
/// </remarks>
/// <example>
/// <code>
/// var lookups = hosts.Select(h =&gt; Gevent.Spawn(() =&gt; GreenDns.GetHostAddressesAsync(h).AsTask())).ToList();
/// await Gevent.JoinAllAsync(lookups, TimeSpan.FromSeconds(2));
/// </code>
/// </example>
public static class GreenDns
{
    private static IGreenResolver? s_resolver;

    /// <summary>The resolver used by every lookup (and by <see cref="GreenSocket.CreateConnectionAsync(string, int, TimeSpan?, System.Net.EndPoint?, CancellationToken)"/>); settable.</summary>
    public static IGreenResolver Resolver
    {
        get => s_resolver ??= FromEnvironment();
        set => s_resolver = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The addresses of <paramref name="host"/>; an IP literal is returned as is.</summary>
    /// <exception cref="DnsResolutionException">The name does not resolve.</exception>
    public static ValueTask<IPAddress[]> GetHostAddressesAsync(string host, AddressFamily family = AddressFamily.Unspecified, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        NoteResolverUse();
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            if (family != AddressFamily.Unspecified && literal.AddressFamily != family)
            {
                throw new DnsResolutionException(host, $"{host} is not an address of family {family}.", SocketError.AddressFamilyNotSupported);
            }

            return new ValueTask<IPAddress[]>([literal]);
        }

        return Resolver.GetHostAddressesAsync(host, family, cancellationToken);
    }

    /// <summary>The first address of <paramref name="host"/>, IPv4 preferred (gevent's <c>gethostbyname</c>).</summary>
    public static async ValueTask<IPAddress> GetHostByNameAsync(string host, CancellationToken cancellationToken = default)
    {
        IPAddress[] all = await GetHostAddressesAsync(host, AddressFamily.Unspecified, cancellationToken);
        return all.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? all[0];
    }

    /// <summary>
    /// <c>getaddrinfo</c>-style: one <see cref="AddressInfo"/> per address and socket type, with the port filled in.
    /// </summary>
    public static async ValueTask<IReadOnlyList<AddressInfo>> GetAddrInfoAsync(
        string host, int port, AddressFamily family = AddressFamily.Unspecified, SocketType socketType = SocketType.Unknown, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        IPAddress[] addresses = await GetHostAddressesAsync(host, family, cancellationToken);
        var result = new List<AddressInfo>();
        SocketType[] types = socketType == SocketType.Unknown ? [SocketType.Stream, SocketType.Dgram] : [socketType];
        foreach (IPAddress a in addresses)
        {
            foreach (SocketType t in types)
            {
                result.Add(new AddressInfo(a.AddressFamily, t, t == SocketType.Dgram ? ProtocolType.Udp : ProtocolType.Tcp, new IPEndPoint(a, port)));
            }
        }

        return result;
    }

    /// <summary>The name of <paramref name="address"/> (gevent's <c>gethostbyaddr</c>).</summary>
    /// <exception cref="DnsResolutionException">No name is known for the address.</exception>
    public static ValueTask<string> GetHostNameAsync(IPAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        NoteResolverUse();
        return Resolver.GetHostNameAsync(address, cancellationToken);
    }

    internal static void NoteResolverUse()
    {
        Hub hub = Hub.CurrentOrThrow("GreenDns");
        if (!hub.NotErrors.Contains(typeof(DnsResolutionException)))
        {
            hub.NotErrors.Add(typeof(DnsResolutionException));
        }
    }

    private static IGreenResolver FromEnvironment()
    {
        string? kind = Environment.GetEnvironmentVariable("GEVENTSHARP_RESOLVER")?.Trim().ToLowerInvariant();
        if (kind is "dns" or "ares" or "dnspython")
        {
            string? servers = Environment.GetEnvironmentVariable("GEVENTSHARP_RESOLVER_NAMESERVERS");
            return string.IsNullOrWhiteSpace(servers)
                ? new DnsResolver()
                : new DnsResolver(servers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseServer).ToArray());
        }

        return new ThreadResolver();
    }

    internal static IPEndPoint ParseServer(string text)
    {
        if (IPEndPoint.TryParse(text, out IPEndPoint? ep))
        {
            return ep.Port == 0 ? new IPEndPoint(ep.Address, 53) : ep;
        }

        throw new FormatException($"'{text}' is not a name server address (ip or ip:port).");
    }
}

/// <summary>One <c>getaddrinfo</c> result: how to create a socket and where to connect it.</summary>
/// <param name="Family">The address family.</param>
/// <param name="SocketType">Stream or datagram.</param>
/// <param name="ProtocolType">TCP or UDP.</param>
/// <param name="EndPoint">The address and port.</param>
public sealed record AddressInfo(AddressFamily Family, SocketType SocketType, ProtocolType ProtocolType, IPEndPoint EndPoint);
