using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace GeventSharp.Net;

/// <summary>
/// Green socket operations on the hub thread: a non-blocking syscall first, and on <c>EAGAIN</c>
/// a wait for readiness (<see cref="SocketReadiness"/>, registered with the hub's <see cref="EpollPoller"/>), then a retry.
/// </summary>
/// <remarks>The fast paths (data already there, buffer space free) complete synchronously and allocate nothing; the waits use pooled state machines.</remarks>
internal sealed partial class EpollSocketIo : ISocketIo, IValueTaskSource<int>
{
    private static readonly Func<Exception> s_closed = static () => new SocketClosedException();

    private readonly GreenSocket _owner;
    private readonly SocketReadiness _readiness;
    private readonly int _fd;
    private EpollOperation? _readOp; // created by the first receive that must wait with a buffer: a zero-byte receive needs none (see WaitReadable)
    private EpollOperation? _writeOp; // created by the first send that must wait: an idle connection never has one
    private EndPoint? _remote;

    public EpollSocketIo(GreenSocket owner, EpollPoller poller, int fd)
    {
        _owner = owner;
        _fd = fd;
        _readiness = new SocketReadiness(poller, fd, owner);
    }

    internal SocketReadiness Readiness => _readiness;

    private EpollOperation ReadOp => _readOp ??= new EpollOperation(this, write: false);

    private EpollOperation WriteOp => _writeOp ??= new EpollOperation(this, write: true);

    internal GreenSocket Owner => _owner;

    public EndPoint? LocalEndPoint => GetName(peer: false);

    // An accepted socket knows its peer's address from accept4 (or its .NET Socket read it when made):
    // take that one rather than ask again. Made when first asked for, then kept.
    public EndPoint? RemoteEndPoint => _remote ??= KnownRemote() ?? GetName(peer: true);

    // ---- receive ----

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, SocketFlags flags, CancellationToken cancellationToken)
    {
        if (ReadBusy)
        {
            return ReceiveAfterTurn(buffer, flags, cancellationToken);
        }

        if (buffer.Length == 0)
        {
            // A zero-byte read waits until there is something to read (the .NET convention SslStream relies on).
            // Drained and no edge since: not readable, so wait for the edge without asking the kernel.
            return _readiness.MayHaveInput && IsReadyNow(write: false) ? new ValueTask<int>(0) : WaitReadable(cancellationToken);
        }

        if (!_readiness.MayHaveInput)
        {
            return StartOp(ReadOp, EpollOperationKind.Receive, buffer, flags, 0, cancellationToken);
        }

        int n = TryReceive(buffer.Span, flags, out int errno);
        if (n >= 0)
        {
            return new ValueTask<int>(n);
        }

        return errno == LibC.EAGAIN
            ? StartOp(ReadOp, EpollOperationKind.Receive, buffer, flags, 0, cancellationToken)
            : ValueTask.FromException<int>(LibC.Error(errno));
    }

    private static ValueTask<int> StartOp(EpollOperation op, EpollOperationKind kind, Memory<byte> buffer, SocketFlags flags, int done, CancellationToken cancellationToken)
    {
        // Every public operation waits its turn first (AfterTurnAsync), so the op is free here.
        Debug.Assert(!op.Busy, $"{kind} started on a busy socket direction");
        return op.Start(kind, buffer, flags, done, cancellationToken);
    }

    // The queued paths live in their own methods: a lambda capturing the parameters in the public
    // methods would make the compiler allocate its closure on every call, queued or not.
    private ValueTask<int> ReceiveAfterTurn(Memory<byte> buffer, SocketFlags flags, CancellationToken cancellationToken)
        => AfterTurnAsync(write: false, () => ReceiveAsync(buffer, flags, cancellationToken), cancellationToken);

    private ValueTask<int> SendAfterTurn(ReadOnlyMemory<byte> buffer, SocketFlags flags, CancellationToken cancellationToken)
        => AfterTurnAsync(write: true, () => SendAsync(buffer, flags, cancellationToken), cancellationToken);

    private ValueTask SendAllAfterTurn(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
        => new(AfterTurnAsync(
            write: true,
            async () =>
            {
                await SendAllAsync(buffer, cancellationToken);
                return 0;
            },
            cancellationToken).AsTask());

    /// <summary>
    /// Another greenlet has an operation pending in this direction: wait (FIFO) until it finishes,
    /// then start over from the syscall with <paramref name="retry"/>, as gevent lets several
    /// greenlets send on (or read from) one socket, each waiting for readiness in turn.
    /// </summary>
    private async ValueTask<int> AfterTurnAsync(bool write, Func<ValueTask<int>> retry, CancellationToken cancellationToken)
    {
        Greenlet current = Hub.CurrentGreenletOrThrow("GreenSocket");
        while (write ? WriteOp.Busy : ReadBusy)
        {
            await current.SuspendOn("its turn on a socket another greenlet is using", (write ? WriteOp : ReadOp).Turn, -1, cancellationToken);
        }

        return await retry();
    }

    internal unsafe int TryReceive(Span<byte> buffer, SocketFlags flags, out int errno)
    {
        nint n;
        fixed (byte* p = buffer)
        {
            do
            {
                n = LibC.recv(_fd, p, buffer.Length, (int)flags);
            }
            while (LibC.RetryOnEintrNow(n, out errno));
        }

        if (n >= 0)
        {
            if (n < buffer.Length && n > 0 && flags == SocketFlags.None)
            {
                _readiness.NoteDrained(); // a short read drained the queue; new data brings a new edge
            }

            _owner.Metrics?.NoteReceived((int)n);
            return (int)n;
        }

        if (errno == LibC.EAGAIN)
        {
            _readiness.NoteDrained();
        }

        return -1;
    }

    // ---- send ----

    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, SocketFlags flags, CancellationToken cancellationToken)
    {
        if (_writeOp is { Busy: true })
        {
            return SendAfterTurn(buffer, flags, cancellationToken);
        }

        int n = TrySend(buffer.Span, flags, out int errno);
        if (n >= 0)
        {
            return new ValueTask<int>(n);
        }

        return errno == LibC.EAGAIN
            ? StartOp(WriteOp, EpollOperationKind.Send, System.Runtime.InteropServices.MemoryMarshal.AsMemory(buffer), flags, 0, cancellationToken)
            : ValueTask.FromException<int>(LibC.Error(errno));
    }

    public ValueTask SendAllAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_writeOp is { Busy: true })
        {
            return SendAllAfterTurn(buffer, cancellationToken);
        }

        int done = 0;
        while (done < buffer.Length)
        {
            int n = TrySend(buffer.Span.Slice(done), SocketFlags.None, out int errno);
            if (n < 0)
            {
                if (errno != LibC.EAGAIN)
                {
                    return ValueTask.FromException(LibC.Error(errno));
                }

                ValueTask<int> op = StartOp(WriteOp, EpollOperationKind.SendAll, System.Runtime.InteropServices.MemoryMarshal.AsMemory(buffer), SocketFlags.None, done, cancellationToken);
                return op.IsCompletedSuccessfully ? default : op.IsCompleted ? new ValueTask(op.AsTask()) : new ValueTask(_writeOp!, _writeOp!.Version);
            }

            done += n;
        }

        return default;
    }

    internal unsafe int TrySend(ReadOnlySpan<byte> buffer, SocketFlags flags, out int errno)
    {
        nint n;
        fixed (byte* p = buffer)
        {
            do
            {
                n = LibC.send(_fd, p, buffer.Length, (int)flags | LibC.MSG_NOSIGNAL);
            }
            while (LibC.RetryOnEintrNow(n, out errno));
        }

        return Sent(n);
    }

    /// <summary>A send's result: the bytes sent (counted for the owner's server, if any), or -1.</summary>
    private int Sent(nint n)
    {
        if (n < 0)
        {
            return -1;
        }

        _owner.Metrics?.NoteSent((int)n);
        return (int)n;
    }

    // ---- datagrams ----

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, SocketFlags flags, CancellationToken cancellationToken)
    {
        var address = new SocketAddress(_owner.AddressFamily, SocketAddress.GetMaximumAddressSize(_owner.AddressFamily));
        while (true)
        {
            int n = TryReceiveFrom(buffer.Span, flags, address, out int errno);
            if (n >= 0)
            {
                return new SocketReceiveFromResult { ReceivedBytes = n, RemoteEndPoint = ToEndPoint(address) };
            }

            if (errno != LibC.EAGAIN)
            {
                throw LibC.Error(errno);
            }

            await WaitReadyAsync(false, cancellationToken);
        }
    }

    private unsafe int TryReceiveFrom(Span<byte> buffer, SocketFlags flags, SocketAddress address, out int errno)
    {
        nint n;
        int len;
        fixed (byte* p = buffer)
        fixed (byte* a = address.Buffer.Span)
        {
            do
            {
                len = address.Buffer.Length;
                n = LibC.recvfrom(_fd, p, buffer.Length, (int)flags, a, &len);
            }
            while (LibC.RetryOnEintr(n, out errno));
        }

        if (n < 0)
        {
            return -1;
        }

        address.Size = len;
        _owner.Metrics?.NoteReceived((int)n);
        return (int)n;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, SocketFlags flags, EndPoint remote, CancellationToken cancellationToken)
    {
        SocketAddress address = remote.Serialize();
        while (true)
        {
            int n = TrySendTo(buffer.Span, flags, address, out int errno);
            if (n >= 0)
            {
                return n;
            }

            if (errno != LibC.EAGAIN)
            {
                throw LibC.Error(errno);
            }

            await WaitReadyAsync(true, cancellationToken);
        }
    }

    private unsafe int TrySendTo(ReadOnlySpan<byte> buffer, SocketFlags flags, SocketAddress address, out int errno)
    {
        nint n;
        fixed (byte* p = buffer)
        fixed (byte* a = address.Buffer.Span)
        {
            do
            {
                n = LibC.sendto(_fd, p, buffer.Length, (int)flags | LibC.MSG_NOSIGNAL, a, address.Size);
            }
            while (LibC.RetryOnEintr(n, out errno));
        }

        return Sent(n);
    }

    // ---- connect ----

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ConnectAsync(EndPoint remote, CancellationToken cancellationToken)
    {
        int errno = StartConnect(remote.Serialize());
        if (errno != 0)
        {
            if (errno is not (LibC.EINPROGRESS or LibC.EINTR or LibC.EAGAIN))
            {
                throw LibC.Error(errno);
            }

            await WaitReadyAsync(true, cancellationToken);
            int error = PendingError();
            if (error != 0)
            {
                throw LibC.Error(error);
            }
        }

        _remote = remote;
    }

    private unsafe int StartConnect(SocketAddress address)
    {
        fixed (byte* a = address.Buffer.Span)
        {
            return LibC.connect(_fd, a, address.Size) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    private unsafe int PendingError()
    {
        int error = 0;
        int len = sizeof(int);
        return LibC.getsockopt(_fd, LibC.SOL_SOCKET, LibC.SO_ERROR, &error, &len) != 0 ? Marshal.GetLastPInvokeError() : error;
    }

    // ---- readiness ----

    /// <summary>Readable: see <see cref="WaitReadableAsync"/>. Writable: ready now (a zero-timeout poll), or a wait for the next edge.</summary>
    public ValueTask WaitAsync(bool write, CancellationToken cancellationToken)
    {
        if (!write)
        {
            return WaitReadableAsync(cancellationToken);
        }

        if (IsReadyNow(write: true))
        {
            return default;
        }

        if (_writeOp is { Busy: true })
        {
            // Another greenlet waits to write: wait for its turn; the caller then retries its syscall.
            return new ValueTask(AfterTurnAsync(write: true, static () => new ValueTask<int>(0), cancellationToken).AsTask());
        }

        EpollOperation op = WriteOp;
        ValueTask<int> wait = StartOp(op, EpollOperationKind.WaitWritable, default, SocketFlags.None, 0, cancellationToken);
        return wait.IsCompletedSuccessfully ? default : wait.IsCompleted ? new ValueTask(wait.AsTask()) : new ValueTask(op, op.Version);
    }

    private unsafe bool IsReadyNow(bool write)
    {
        LibC.PollFd pfd = new() { Fd = _fd, Events = (short)(write ? 0x4 : 0x1) }; // POLLOUT : POLLIN
        return LibC.poll(&pfd, 1, 0) > 0;
    }

    /// <summary>Waits for the next readiness edge: call only after the syscall said EAGAIN.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitReadyAsync(bool write, CancellationToken cancellationToken)
    {
        Greenlet g = Hub.CurrentGreenletOrThrow(write ? "GreenSocket.SendAsync" : "GreenSocket.ReceiveAsync");
        bool ready;
        try
        {
            ready = await _readiness.WaitAsync(g, write, _owner.TimeoutTicks, cancellationToken);
        }
        finally
        {
            _readiness.EndWait(g, write);
        }

        if (!ready)
        {
            throw new SocketTimeoutException();
        }
    }

    public void Close() => _readiness.Close(s_closed);

    private EndPoint? KnownRemote()
    {
        if (_owner.AcceptedPeer is { } peer)
        {
            return peer;
        }

        try
        {
            return _owner.SocketIfCreated is { Connected: true } socket ? socket.RemoteEndPoint : null;
        }
        catch (SocketException)
        {
            return null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    private unsafe EndPoint? GetName(bool peer)
    {
        var address = new SocketAddress(_owner.AddressFamily, SocketAddress.GetMaximumAddressSize(_owner.AddressFamily));
        int len = address.Buffer.Length;
        int r;
        fixed (byte* a = address.Buffer.Span)
        {
            r = peer ? LibC.getpeername(_fd, a, &len) : LibC.getsockname(_fd, a, &len);
        }

        if (r != 0)
        {
            return null;
        }

        address.Size = len;
        return ToEndPoint(address);
    }

    internal static EndPoint ToEndPoint(SocketAddress address) => address.Family switch
    {
        AddressFamily.InterNetwork => new IPEndPoint(IPAddress.Any, 0).Create(address),
        AddressFamily.InterNetworkV6 => new IPEndPoint(IPAddress.IPv6Any, 0).Create(address),
        _ => throw new NotSupportedException($"Address family {address.Family} is not supported by green sockets."),
    };
}
