using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace GeventSharp.Net;

/// <summary>
/// A cooperative socket (gevent's <c>gevent.socket.socket</c>): every operation that would block
/// suspends only the calling greenlet, and the hub runs the others meanwhile.
/// </summary>
/// <remarks>
/// <para>With the epoll poller (Linux, the default) the socket is non-blocking and each operation
/// is tried at once on the hub thread; on <c>EAGAIN</c> the greenlet waits for readiness and
/// retries. With <see cref="PollerKind.Portable"/> the operations run through .NET's asynchronous
/// sockets. Behaviour is the same either way.</para>
/// <para>Thread affinity: create and use a green socket on one hub's thread, from its greenlets.
/// Several greenlets may receive from (or send on) one socket: while one waits in a direction, the
/// others queue behind it and are served in order, as in gevent. Bytes of concurrent
/// <c>SendAllAsync</c> calls on a stream socket may interleave, as in gevent.</para>
/// <para><see cref="Timeout"/> bounds each wait and raises <see cref="SocketTimeoutException"/>;
/// <see cref="Close"/> while another greenlet waits wakes it at once with
/// <see cref="SocketClosedException"/>. A greenlet killed during an operation leaves the socket
/// usable (a receive consumed nothing; a send may have sent a prefix, as a timeout may).</para>
/// <para>TCP sockets have <see cref="NoDelay"/> on by default.</para>
/// </remarks>
/// <example>
/// <code>
/// Gevent.Run(async () =&gt;
/// {
///     using GreenSocket sock = await GreenSocket.CreateConnectionAsync("127.0.0.1", 8080, TimeSpan.FromSeconds(5));
///     await sock.SendAllAsync("ping\n"u8.ToArray());
///     byte[] reply = await sock.ReceiveAsync(1024);
/// });
/// </code>
/// </example>
[DebuggerDisplay("{ToString(),nq}")]
public sealed partial class GreenSocket : IDisposable
{
    private const long NoTimeout = long.MinValue;

    // .NET's socket. A connection accepted on the epoll backend has none until someone asks for
    // one (Socket, or an option this type reads through it): it holds its descriptor in _accepted.
    private Socket? _socket;
    private readonly AcceptedSocketHandle? _accepted;
    private readonly Hub _hub;
    private readonly ISocketIo _io;
    private long _timeout = NoTimeout; // Timeout's ticks (a TimeSpan? would take 16 bytes)
    private long _timeoutTicks = -1;
    private readonly AddressFamily _family;
    private bool _closed;

    /// <summary>The counters of the server this socket belongs to, which its I/O adds its bytes to; null for other sockets.</summary>
    internal ServerMetrics? Metrics;

    /// <summary>Creates a green socket of the given family, type and protocol.</summary>
    /// <exception cref="InvalidOperationException">Not called on a hub thread.</exception>
    public GreenSocket(AddressFamily addressFamily, SocketType socketType, ProtocolType protocolType)
        : this(new Socket(addressFamily, socketType, protocolType), Hub.CurrentOrThrow("new GreenSocket"), accepted: false)
    {
    }

    /// <summary>Takes over an existing .NET <paramref name="socket"/> (it must not have pending asynchronous operations).</summary>
    /// <exception cref="InvalidOperationException">Not called on a hub thread.</exception>
    public GreenSocket(Socket socket)
        : this(Throw.IfNull(socket), Hub.CurrentOrThrow("new GreenSocket"), accepted: false)
    {
    }

    private GreenSocket(Socket socket, Hub hub, bool accepted)
    {
        _socket = socket;
        _hub = hub;
        _family = socket.AddressFamily;
        if (hub.Poller is EpollPoller epoll)
        {
            if (!accepted)
            {
                socket.Blocking = false;
            }

            _io = new EpollSocketIo(this, epoll, (int)socket.SafeHandle.DangerousGetHandle());
        }
        else
        {
            _io = new PortableSocketIo(this, socket);
        }

        if (socket.SocketType == SocketType.Stream && socket.ProtocolType == ProtocolType.Tcp)
        {
            socket.NoDelay = true;
        }
    }

    /// <summary>A connection accepted on the epoll backend, without a .NET <see cref="System.Net.Sockets.Socket"/> (made if asked for).</summary>
    private GreenSocket(AcceptedSocketHandle accepted, AddressFamily family, Hub hub, EpollPoller epoll)
    {
        _accepted = accepted;
        _hub = hub;
        _family = family;
        try
        {
            _io = new EpollSocketIo(this, epoll, accepted.Fd);
            SetTcpNoDelay(accepted.Fd, true);
        }
        catch
        {
            accepted.Dispose();
            throw;
        }
    }

    /// <summary>Takes over a socket accepted on another hub (handed over by a <see cref="HubGroup"/>'s acceptor).</summary>
    internal static GreenSocket Adopt(Socket accepted) => new(accepted, Hub.CurrentOrThrow("GreenSocket.Adopt"), accepted: true);

    /// <summary>Accepts a connection without tying it to this hub, for a <see cref="HubGroup"/>'s acceptor to hand over.</summary>
    internal ValueTask<Socket> AcceptDetachedAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        return _io.AcceptAsync(cancellationToken);
    }

    /// <summary>Creates a TCP socket (IPv4 by default).</summary>
    public static GreenSocket CreateTcp(AddressFamily addressFamily = AddressFamily.InterNetwork)
        => new(addressFamily, SocketType.Stream, ProtocolType.Tcp);

    /// <summary>Creates a UDP socket (IPv4 by default).</summary>
    public static GreenSocket CreateUdp(AddressFamily addressFamily = AddressFamily.InterNetwork)
        => new(addressFamily, SocketType.Dgram, ProtocolType.Udp);

    /// <summary>The .NET socket underneath, for options this type does not wrap. Do not start .NET operations on it.</summary>
    /// <remarks>A connection accepted on the epoll backend gets its .NET socket when this is first read.</remarks>
    /// <exception cref="ObjectDisposedException">First read after the accepted socket was closed.</exception>
    public Socket Socket => _socket ?? CreateSocket();

    /// <summary>The hub this socket belongs to.</summary>
    public Hub Hub => _hub;

    /// <summary>The address family (IPv4 or IPv6).</summary>
    public AddressFamily AddressFamily => _family;

    /// <summary>Stream or datagram (an accepted connection is a stream).</summary>
    private SocketType SocketType => _socket?.SocketType ?? SocketType.Stream;

    /// <summary>
    /// The longest any single wait of an operation may take (gevent's <c>settimeout</c>); null
    /// (the default) waits as long as it takes. An expired wait raises <see cref="SocketTimeoutException"/>.
    /// </summary>
    public TimeSpan? Timeout
    {
        get => _timeout == NoTimeout ? null : TimeSpan.FromTicks(_timeout);
        set
        {
            _timeoutTicks = _hub.TimeoutToTicks(value);
            _timeout = value?.Ticks ?? NoTimeout;
        }
    }

    internal long TimeoutTicks => _timeoutTicks;

    /// <summary>TCP_NODELAY: send small segments at once (on by default for TCP).</summary>
    public bool NoDelay
    {
        get => _socket is null ? GetTcpNoDelay(_accepted!.Fd) : _socket.NoDelay;
        set
        {
            if (_socket is null)
            {
                SetTcpNoDelay(_accepted!.Fd, value);
            }
            else
            {
                _socket.NoDelay = value;
            }
        }
    }

    /// <summary>SO_REUSEADDR: allow binding an address in TIME_WAIT. Set before <see cref="Bind"/>.</summary>
    public bool ReuseAddress
    {
        get => (int)Socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress)! != 0;
        set => Socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, value);
    }

    /// <summary>SO_REUSEPORT (Linux): several sockets may bind the same port and share its connections. Set before <see cref="Bind"/>.</summary>
    public bool ReusePort
    {
        get => GetRawInt(15) != 0;
        set
        {
            Span<byte> v = stackalloc byte[4];
            BitConverter.TryWriteBytes(v, value ? 1 : 0);
            Socket.SetRawSocketOption(1, 15, v); // SOL_SOCKET, SO_REUSEPORT
        }
    }

    /// <summary>The local address (after <see cref="Bind"/>, connect or accept); for a listener bound to port 0, the real port.</summary>
    public EndPoint? LocalEndPoint => _closed ? null : _io.LocalEndPoint;

    /// <summary>The peer's address, or null if not connected.</summary>
    public EndPoint? RemoteEndPoint => _closed ? null : _io.RemoteEndPoint;

    /// <summary>True once <see cref="Close"/> (or <see cref="Dispose"/>) has run.</summary>
    public bool Closed => _closed;

    /// <summary>Binds to a local address.</summary>
    public void Bind(EndPoint localEndPoint)
    {
        ThrowIfClosed();
        Socket.Bind(localEndPoint);
    }

    /// <summary>Starts listening for connections (backlog 128 by default, as gevent's servers).</summary>
    public void Listen(int backlog = 128)
    {
        ThrowIfClosed();
        Socket.Listen(backlog);
    }

    /// <summary>Connects to <paramref name="remoteEndPoint"/>, waiting up to <see cref="Timeout"/>.</summary>
    /// <exception cref="SocketTimeoutException">The connection was not established in time.</exception>
    /// <exception cref="SocketException">The connection was refused or failed.</exception>
    public ValueTask ConnectAsync(EndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        ThrowIfClosed();
        return _io.ConnectAsync(remoteEndPoint, cancellationToken);
    }

    /// <summary>Connects to <paramref name="address"/>:<paramref name="port"/>; see <see cref="ConnectAsync(EndPoint, CancellationToken)"/>.</summary>
    public ValueTask ConnectAsync(IPAddress address, int port, CancellationToken cancellationToken = default)
        => ConnectAsync(new IPEndPoint(address, port), cancellationToken);

    /// <summary>Waits for a connection and returns a green socket for it (gevent's <c>accept</c>).</summary>
    public async ValueTask<GreenSocket> AcceptAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_io is EpollSocketIo epoll)
        {
            AcceptedSocketHandle accepted = await epoll.AcceptHandleAsync(cancellationToken);
            return new GreenSocket(accepted, _family, _hub, (EpollPoller)_hub.Poller);
        }

        Socket s = await _io.AcceptAsync(cancellationToken);
        return new GreenSocket(s, _hub, accepted: true);
    }

    /// <summary>
    /// Receives up to <paramref name="buffer"/>.Length bytes into <paramref name="buffer"/> (gevent's
    /// <c>recv_into</c>); returns how many, 0 when the peer has closed its side.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, SocketFlags socketFlags = SocketFlags.None, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        return _io.ReceiveAsync(buffer, socketFlags, cancellationToken);
    }

    /// <summary>Receives up to <paramref name="maxBytes"/> bytes as a new array (gevent's <c>recv</c>); empty when the peer has closed.</summary>
    public async ValueTask<byte[]> ReceiveAsync(int maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        byte[] buffer = new byte[maxBytes];
        int n = await ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
        if (n == maxBytes)
        {
            return buffer;
        }

        return buffer.AsSpan(0, n).ToArray();
    }

    /// <summary>Sends some of <paramref name="buffer"/> (at least one byte unless it is empty); returns how many were sent.</summary>
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, SocketFlags socketFlags = SocketFlags.None, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        return _io.SendAsync(buffer, socketFlags, cancellationToken);
    }

    /// <summary>Sends all of <paramref name="buffer"/>, waiting as often as needed (gevent's <c>sendall</c>).</summary>
    /// <remarks><see cref="Timeout"/> bounds each wait for buffer space; after a timeout or a kill, a prefix may have been sent.</remarks>
    public ValueTask SendAllAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        return _io.SendAllAsync(buffer, cancellationToken);
    }

    /// <summary>Sends one datagram to <paramref name="remoteEndPoint"/> (gevent's <c>sendto</c>).</summary>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, EndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        ThrowIfClosed();
        return _io.SendToAsync(buffer, SocketFlags.None, remoteEndPoint, cancellationToken);
    }

    /// <summary>Receives one datagram into <paramref name="buffer"/> with its sender (gevent's <c>recvfrom_into</c>).</summary>
    public ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        return _io.ReceiveFromAsync(buffer, SocketFlags.None, cancellationToken);
    }

    /// <summary>Waits until the socket has data (or a connection, or end of stream) to read, up to <see cref="Timeout"/> (gevent's <c>wait_read</c>).</summary>
    /// <remarks>Useful to hold no buffer while a connection is idle: wait, then rent a buffer and receive.</remarks>
    public ValueTask WaitReadableAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        return _io.WaitAsync(false, cancellationToken);
    }

    /// <summary>Waits until the socket can take more data, up to <see cref="Timeout"/> (gevent's <c>wait_write</c>).</summary>
    public ValueTask WaitWritableAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        return _io.WaitAsync(true, cancellationToken);
    }

    /// <summary>Shuts down sending, receiving or both; the socket stays open until <see cref="Close"/>.</summary>
    public void Shutdown(SocketShutdown how)
    {
        ThrowIfClosed();
        try
        {
            if (_socket is null)
            {
                ShutdownAccepted(how);
            }
            else
            {
                _socket.Shutdown(how);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.NotConnected)
        {
            // The peer is already gone: nothing left to shut down (gevent ignores ENOTCONN too).
        }
    }

    /// <summary>
    /// Closes the socket. A greenlet waiting on it is woken at once with
    /// <see cref="SocketClosedException"/>. Safe to call more than once.
    /// </summary>
    public void Close()
    {
        if (_closed)
        {
            return;
        }

        _hub.VerifyHubThread("GreenSocket.Close");
        _closed = true;
        _io.Close();
        _socket?.Dispose();
        _accepted?.Dispose(); // closes the descriptor, unless a .NET socket took it over
    }

    /// <summary>Same as <see cref="Close"/>.</summary>
    public void Dispose() => Close();

    /// <summary>A description such as <c>&lt;GreenSocket tcp 127.0.0.1:5000 -&gt; 127.0.0.1:41234&gt;</c>.</summary>
    public override string ToString()
    {
        if (_closed)
        {
            return "<GreenSocket closed>";
        }

        SocketType type = SocketType;
        string kind = type == SocketType.Stream ? "tcp" : type == SocketType.Dgram ? "udp" : type.ToString();
        EndPoint? local = null;
        EndPoint? remote = null;
        try
        {
            local = _io.LocalEndPoint;
            remote = type == SocketType.Stream ? _io.RemoteEndPoint : null;
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        return remote is null ? $"<GreenSocket {kind} {local}>" : $"<GreenSocket {kind} {local} -> {remote}>";
    }

    private int GetRawInt(int name)
    {
        Span<byte> v = stackalloc byte[4];
        Socket.GetRawSocketOption(1, name, v);
        return BitConverter.ToInt32(v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfClosed()
    {
        if (_closed)
        {
            ThrowClosed();
        }
    }

    private static void ThrowClosed() => throw new ObjectDisposedException(nameof(GreenSocket), "The green socket is closed.");
}
