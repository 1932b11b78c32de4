using System.Diagnostics.Metrics;
using System.Net;

namespace GeventSharp.Net;

/// <summary>
/// One server's counters for <see cref="GeventMetrics"/> (<c>gevent.server.*</c>): plain fields
/// written by the server's hub thread, read by the observable instruments from the collecting thread.
/// </summary>
/// <remarks>
/// A server registers when it starts listening and unregisters when it closes. Its sockets count
/// their bytes here (<see cref="GreenSocket.Metrics"/>): one null check and one addition per
/// system call, listening or not. Counts are longs, read with <c>Volatile.Read</c>;
/// a reading from another thread is a snapshot that may lag the hub by a few operations.
/// </remarks>
internal sealed class ServerMetrics
{
    private static readonly List<ServerMetrics> s_servers = new();

    private readonly Hub _hub;
    private long _accepted;
    private long _rejected;
    private long _bytesReceived;
    private long _bytesSent;
    private int _active;

    static ServerMetrics()
    {
        Meter meter = GeventMetrics.Meter;
        meter.CreateObservableUpDownCounter("gevent.server.connections.active", () => Observe(s => Volatile.Read(ref s._active)), "{connection}", "Connections being handled now.");
        meter.CreateObservableCounter("gevent.server.connections.accepted", () => Observe(s => Volatile.Read(ref s._accepted)), "{connection}", "Connections accepted.");
        meter.CreateObservableCounter("gevent.server.connections.rejected", () => Observe(s => Volatile.Read(ref s._rejected)), "{connection}", "Connections closed before their handler ran (a failed TLS handshake).");
        meter.CreateObservableCounter("gevent.server.bytes_received", () => Observe(s => Volatile.Read(ref s._bytesReceived)), "By", "Bytes received on the server's sockets.");
        meter.CreateObservableCounter("gevent.server.bytes_sent", () => Observe(s => Volatile.Read(ref s._bytesSent)), "By", "Bytes sent on the server's sockets.");
    }

    private ServerMetrics(Hub hub, IPEndPoint? address, string transport)
    {
        _hub = hub;
        Tags = address is null
            ? [new("network.transport", transport)]
            : [new("server.address", address.Address.ToString()), new("server.port", address.Port), new("network.transport", transport)];
    }

    /// <summary><c>server.address</c>, <c>server.port</c> (the address listened on) and <c>network.transport</c> (<c>tcp</c> or <c>udp</c>).</summary>
    public KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>Registers the counters of a server of <paramref name="hub"/> that starts listening on <paramref name="address"/>.</summary>
    /// <remarks>Reported until <see cref="Stop"/>, or until the hub finishes.</remarks>
    public static ServerMetrics Start(Hub hub, IPEndPoint? address, string transport)
    {
        var metrics = new ServerMetrics(hub, address, transport);
        lock (s_servers)
        {
            s_servers.Add(metrics);
        }

        return metrics;
    }

    /// <summary>The server closed: its counters are no longer reported.</summary>
    public void Stop()
    {
        lock (s_servers)
        {
            s_servers.Remove(this);
        }
    }

    public void NoteAccepted()
    {
        _accepted++;
        _active++;
    }

    public void NoteClosed() => _active--;

    public void NoteRejected() => _rejected++;

    public void NoteReceived(int bytes) => _bytesReceived += bytes;

    public void NoteSent(int bytes) => _bytesSent += bytes;

    /// <summary>One measurement per server; servers whose hub has finished (never stopped) are dropped first.</summary>
    private static Measurement<long>[] Observe(Func<ServerMetrics, long> read)
    {
        lock (s_servers)
        {
            s_servers.RemoveAll(static s => s._hub.Closed);
            return GeventMetrics.Observe(s_servers, read, static s => s.Tags);
        }
    }
}
