using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace GeventSharp.Net;

/// <summary>
/// A UDP server that handles each datagram in its own greenlet (gevent's <c>DatagramServer</c>).
/// </summary>
/// <remarks>
/// The receive loop runs in one greenlet and copies each datagram (up to 64 KiB) before spawning
/// the handler, so handlers may keep the data. Reply with <see cref="SendToAsync"/>. Handler
/// failures are reported through the hub's error handler; the server keeps serving. A receive
/// error (an ICMP "port unreachable" for an earlier reply) does not stop it either: it is logged
/// at Debug level when the hub has a <see cref="Hub.LoggerFactory"/>.
/// </remarks>
/// <example>
/// <code>
/// var server = new DatagramServer(new IPEndPoint(IPAddress.Loopback, 9000),
///     (server, data, peer) =&gt; server.SendToAsync(data, peer).AsTask());
/// await server.ServeForeverAsync();
/// </code>
/// </example>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class DatagramServer : IGreenServer, IAsyncDisposable
{
    private readonly Func<DatagramServer, byte[], EndPoint, Task> _handler;
    private readonly EndPoint _bindTo;
    private readonly bool _reusePort;
    private GreenSocket? _socket;
    private Greenlet? _receiver;
    private IPEndPoint _address;
    private ILogger? _log;
    private ServerMetrics? _metrics;

    /// <summary>Creates a server that will bind <paramref name="localEndPoint"/> when started.</summary>
    /// <exception cref="ArgumentException"><paramref name="localEndPoint"/> is not an <see cref="IPEndPoint"/>.</exception>
    public DatagramServer(EndPoint localEndPoint, Func<DatagramServer, byte[], EndPoint, Task> handler, bool reusePort = false)
    {
        _address = StreamServer.IPEndPointOf(localEndPoint, nameof(localEndPoint));
        ArgumentNullException.ThrowIfNull(handler);
        _bindTo = localEndPoint;
        _handler = handler;
        _reusePort = reusePort;
    }

    /// <summary>
    /// Where the server receives (gevent's <c>server.address</c>): before <see cref="Start"/> the
    /// address it was given (port 0 stays 0), from <see cref="Start"/> on the bound one, with the port
    /// the system chose; after a stop it still says where the server received.
    /// </summary>
    public IPEndPoint Address => _address;

    /// <summary>True from <see cref="Start"/> until stopped.</summary>
    public bool Started => _receiver is not null && !Closed;

    /// <summary>True once stopped.</summary>
    public bool Closed { get; private set; }

    /// <summary>The server's socket (for options); null before <see cref="Start"/>.</summary>
    public GreenSocket? Socket => _socket;

    /// <summary>Binds and starts receiving in a new greenlet.</summary>
    public void Start()
    {
        if (_receiver is not null || Closed)
        {
            throw new InvalidOperationException("This server was already started; a DatagramServer starts once.");
        }

        _socket = GreenSocket.BindUdp(_bindTo, _reusePort || HubGroup.Member.Current?.Serves(_address) == true); // a hub group's hubs share the port
        _address = (IPEndPoint)_socket.LocalEndPoint!;
        _log = ServerLog.For<DatagramServer>();
        _socket.Metrics = _metrics = ServerMetrics.Start(_socket.Hub, _address, "udp");
        _receiver = Gevent.Spawn(ReceiveLoopAsync);
        _receiver.Name = "DatagramServer.receive";
    }

    /// <summary>Starts if needed and waits until stopped.</summary>
    public async Task ServeForeverAsync()
    {
        if (_receiver is null)
        {
            Start();
        }

        await _receiver!.JoinAsync();
    }

    /// <summary>Sends a reply datagram from the server's socket.</summary>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> data, EndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        GreenSocket sock = _socket ?? throw new InvalidOperationException("Start the server before sending from it.");
        return sock.SendToAsync(data, remoteEndPoint, cancellationToken);
    }

    /// <summary>Same as <see cref="StopAsync()"/>: handlers are not waited for, so there is nothing to time out.</summary>
    Task IGreenServer.StopAsync(TimeSpan? timeout) => StopAsync();

    /// <summary>Stops receiving and closes the socket. Handlers already running continue.</summary>
    public async Task StopAsync()
    {
        if (Closed)
        {
            return;
        }

        Closed = true;
        _socket?.Close();
        _metrics?.Stop();
        if (_receiver is not null)
        {
            await _receiver.JoinAsync();
        }
    }

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    public async ValueTask DisposeAsync() => await StopAsync();

    /// <inheritdoc/>
    public override string ToString() => $"<DatagramServer {Address} {(Closed ? "closed" : Started ? "serving" : "not started")}>";

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[65536];
        GreenSocket sock = _socket!;
        while (!Closed)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await sock.ReceiveFromAsync(buffer);
            }
            catch (Exception e) when (Closed && e is SocketException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                if (_log is { } log)
                {
                    ServerLog.ReceiveFailed(log, ToString(), e.SocketErrorCode, e);
                }

                continue; // e.g. ECONNREFUSED from an earlier reply's ICMP: not fatal for a UDP server
            }

            byte[] data = buffer.AsSpan(0, r.ReceivedBytes).ToArray();
            EndPoint peer = r.RemoteEndPoint;
            Gevent.Spawn(() => _handler(this, data, peer)).Name = "DatagramServer.handler";
        }
    }
}
