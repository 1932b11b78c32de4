using System.Net;
using System.Net.Sockets;

namespace GeventSharp.Net;

/// <summary>Connection and listening helpers (gevent's <c>create_connection</c> and friends).</summary>
public sealed partial class GreenSocket
{
    /// <summary>
    /// Gevent's <c>create_connection((host, port), timeout)</c>: like
    /// <see cref="CreateConnectionAsync(string, int, TimeSpan?, EndPoint?, CancellationToken)"/>, with
    /// the per-attempt timeout in seconds.
    /// </summary>
    /// <example><code>using GreenSocket s = await GreenSocket.CreateConnectionAsync("localhost", 8080, 3);</code></example>
    /// <exception cref="DnsResolutionException">The name does not resolve.</exception>
    /// <exception cref="SocketTimeoutException">The last attempt timed out.</exception>
    public static ValueTask<GreenSocket> CreateConnectionAsync(
        string host, int port, double timeoutSeconds, EndPoint? sourceAddress = null, CancellationToken cancellationToken = default)
        => CreateConnectionAsync(host, port, Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), sourceAddress, cancellationToken);

    /// <summary>
    /// Resolves <paramref name="host"/> and connects to <paramref name="port"/> on each address in
    /// turn until one accepts; the socket keeps <paramref name="timeout"/> as its <see cref="Timeout"/>.
    /// </summary>
    /// <remarks>
    /// <paramref name="timeout"/> bounds each connection attempt, not the whole call. If every
    /// address fails, the last address's error is thrown. Name lookups go through <see cref="GreenDns"/>.
    /// </remarks>
    /// <example><code>using GreenSocket s = await GreenSocket.CreateConnectionAsync("localhost", 8080, TimeSpan.FromSeconds(3));</code></example>
    /// <exception cref="DnsResolutionException">The name does not resolve.</exception>
    /// <exception cref="SocketTimeoutException">The last attempt timed out.</exception>
    public static async ValueTask<GreenSocket> CreateConnectionAsync(
        string host, int port, TimeSpan? timeout = null, EndPoint? sourceAddress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        IPAddress[] addresses = IPAddress.TryParse(host, out IPAddress? literal)
            ? [literal]
            : await GreenDns.GetHostAddressesAsync(host, AddressFamily.Unspecified, cancellationToken);
        Exception? last = null;
        foreach (IPAddress address in addresses)
        {
            var sock = new GreenSocket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                sock.Timeout = timeout;
                if (sourceAddress is not null)
                {
                    sock.Bind(sourceAddress);
                }

                await sock.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
                return sock;
            }
            catch (SocketException e)
            {
                sock.Close();
                last = e;
            }
            catch
            {
                sock.Close();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>
    /// Creates a TCP socket bound to <paramref name="localEndPoint"/> and listening (gevent's
    /// <c>_tcp_listener</c>): SO_REUSEADDR on, and SO_REUSEPORT if asked.
    /// </summary>
    /// <example><code>using GreenSocket listener = GreenSocket.Listen(new IPEndPoint(IPAddress.Loopback, 0));</code></example>
    public static GreenSocket Listen(EndPoint localEndPoint, int backlog = 128, bool reusePort = false)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        var sock = new GreenSocket(localEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            sock.ReuseAddress = true;
            if (reusePort)
            {
                sock.ReusePort = true;
            }

            sock.Bind(localEndPoint);
            sock.Listen(backlog);
            return sock;
        }
        catch
        {
            sock.Close();
            throw;
        }
    }

    /// <summary>Creates a UDP socket bound to <paramref name="localEndPoint"/> (gevent's <c>_udp_socket</c>).</summary>
    public static GreenSocket BindUdp(EndPoint localEndPoint, bool reusePort = false)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        var sock = new GreenSocket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (reusePort)
            {
                sock.ReusePort = true;
            }

            sock.Bind(localEndPoint);
            return sock;
        }
        catch
        {
            sock.Close();
            throw;
        }
    }

    /// <summary>Wraps this connected socket in a <see cref="GreenStream"/> (which closes the socket when disposed, unless told otherwise).</summary>
    public GreenStream GetStream(bool ownsSocket = true) => new(this, ownsSocket);
}
