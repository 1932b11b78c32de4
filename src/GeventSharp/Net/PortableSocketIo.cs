using System.Net;
using System.Net.Sockets;

namespace GeventSharp.Net;

/// <summary>
/// Green socket operations through .NET's asynchronous <see cref="Socket"/> APIs: the greenlet
/// awaits them like any foreign task, and their completions come back to the hub as posted work.
/// Used where epoll is not available, or with <see cref="PollerKind.Portable"/>.
/// </summary>
/// <remarks>
/// Timeouts run on the hub's clock (a <see cref="Timeout"/> that cancels the greenlet's token);
/// a kill cancels the token too, and the kill's exception comes out of the operation.
/// </remarks>
internal sealed class PortableSocketIo : ISocketIo
{
    private readonly GreenSocket _owner;
    private readonly Socket _socket;
    private bool _closed;

    public PortableSocketIo(GreenSocket owner, Socket socket)
    {
        _owner = owner;
        _socket = socket;
    }

    public EndPoint? LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>
    /// A socket call here is a foreign await, which a standing kill or expired timeout cannot fail:
    /// a greenlet that has one passes through a library wait first, which raises it (or ends a
    /// greenlet that keeps swallowing it). Free otherwise.
    /// </summary>
    private static ValueTask Checkpoint() => Greenlet.Current is { InterruptPending: true } g ? g.Yield() : default;

    public EndPoint? RemoteEndPoint => _socket.RemoteEndPoint;

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, SocketFlags flags, CancellationToken cancellationToken)
    {
        await Checkpoint();
        var op = new Operation(this, cancellationToken);
        try
        {
            int n = await _socket.ReceiveAsync(buffer, flags, op.Token);
            _owner.Metrics?.NoteReceived(n);
            return n;
        }
        catch (Exception e)
        {
            throw op.Translate(e);
        }
        finally
        {
            op.Dispose();
        }
    }

    public async ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, SocketFlags flags, CancellationToken cancellationToken)
    {
        await Checkpoint();
        var op = new Operation(this, cancellationToken);
        try
        {
            int n = await _socket.SendAsync(buffer, flags, op.Token);
            _owner.Metrics?.NoteSent(n);
            return n;
        }
        catch (Exception e)
        {
            throw op.Translate(e);
        }
        finally
        {
            op.Dispose();
        }
    }

    public async ValueTask SendAllAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        while (buffer.Length > 0)
        {
            buffer = buffer.Slice(await SendAsync(buffer, SocketFlags.None, cancellationToken));
        }
    }

    public async ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, SocketFlags flags, CancellationToken cancellationToken)
    {
        await Checkpoint();
        var op = new Operation(this, cancellationToken);
        try
        {
            EndPoint any = _owner.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
            SocketReceiveFromResult r = await _socket.ReceiveFromAsync(buffer, flags, any, op.Token);
            _owner.Metrics?.NoteReceived(r.ReceivedBytes);
            return r;
        }
        catch (Exception e)
        {
            throw op.Translate(e);
        }
        finally
        {
            op.Dispose();
        }
    }

    public async ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, SocketFlags flags, EndPoint remote, CancellationToken cancellationToken)
    {
        await Checkpoint();
        var op = new Operation(this, cancellationToken);
        try
        {
            int n = await _socket.SendToAsync(buffer, flags, remote, op.Token);
            _owner.Metrics?.NoteSent(n);
            return n;
        }
        catch (Exception e)
        {
            throw op.Translate(e);
        }
        finally
        {
            op.Dispose();
        }
    }

    public async ValueTask<Socket> AcceptAsync(CancellationToken cancellationToken)
    {
        await Checkpoint();
        var op = new Operation(this, cancellationToken);
        try
        {
            return await _socket.AcceptAsync(op.Token);
        }
        catch (Exception e)
        {
            throw op.Translate(e);
        }
        finally
        {
            op.Dispose();
        }
    }

    public async ValueTask ConnectAsync(EndPoint remote, CancellationToken cancellationToken)
    {
        await Checkpoint();
        var op = new Operation(this, cancellationToken);
        try
        {
            await _socket.ConnectAsync(remote, op.Token);
        }
        catch (Exception e)
        {
            throw op.Translate(e);
        }
        finally
        {
            op.Dispose();
        }
    }

    public async ValueTask WaitAsync(bool write, CancellationToken cancellationToken)
    {
        if (write)
        {
            return; // .NET has no awaitable write readiness; sends wait inside SendAsync instead.
        }

        await Checkpoint();
        var op = new Operation(this, cancellationToken);
        try
        {
            await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, op.Token);
        }
        catch (Exception e)
        {
            throw op.Translate(e);
        }
        finally
        {
            op.Dispose();
        }
    }

    public void Close() => _closed = true; // disposing the socket then aborts pending operations

    /// <summary>One operation's timeout and cancellation, and the translation of how it failed.</summary>
    private readonly struct Operation : IDisposable
    {
        private readonly PortableSocketIo _io;
        private readonly Greenlet _greenlet;
        private readonly Timeout? _timeout;
        private readonly CancellationTokenSource? _linked;
        private readonly CancellationToken _callerToken;

        public Operation(PortableSocketIo io, CancellationToken callerToken)
        {
            _io = io;
            _greenlet = Hub.CurrentGreenletOrThrow("GreenSocket");
            _callerToken = callerToken;
            _timeout = io._owner.Timeout is { } t ? Timeout.StartNew(t) : null;
            CancellationToken own = _greenlet.CancellationToken;
            if (callerToken.CanBeCanceled)
            {
                _linked = CancellationTokenSource.CreateLinkedTokenSource(own, callerToken);
                Token = _linked.Token;
            }
            else
            {
                _linked = null;
                Token = own;
            }
        }

        public CancellationToken Token { get; }

        public Exception Translate(Exception e)
        {
            if (_timeout is { Fired: true })
            {
                _timeout.Cancel(); // drops the pending Timeout exception: the socket error replaces it
                return new SocketTimeoutException();
            }

            if (_io._closed && e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return new SocketClosedException();
            }

            if (e is OperationCanceledException)
            {
                if (_callerToken.IsCancellationRequested)
                {
                    return new OperationCanceledException(_callerToken);
                }

                // Killed: raise the kill's exception here, not at the greenlet's next wait.
                if (_greenlet.TakePendingException() is { } pending)
                {
                    return pending;
                }
            }

            return e;
        }

        public void Dispose()
        {
            _timeout?.Cancel();
            _linked?.Dispose();
        }
    }
}
