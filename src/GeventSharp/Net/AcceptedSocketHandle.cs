using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GeventSharp.Net;

/// <summary>
/// A connection accepted on the epoll backend: its descriptor (closed when released, or by the
/// finalizer if the socket was never closed) and the peer's address exactly as <c>accept4</c>
/// wrote it. A <see cref="GreenSocket"/> holds this instead of .NET's <see cref="Socket"/> (about
/// 300 bytes with the addresses it reads when made) until someone asks for one.
/// </summary>
internal sealed class AcceptedSocketHandle : SafeHandle
{
    private SockAddrBytes _peer;
    private byte _peerLength;

    public AcceptedSocketHandle(int fd, ReadOnlySpan<byte> peer)
        : base(-1, ownsHandle: true)
    {
        SetHandle(fd);
        int length = Math.Min(peer.Length, SockAddrBytes.Length);
        peer[..length].CopyTo(_peer);
        _peerLength = (byte)length;
    }

    /// <inheritdoc/>
    public override bool IsInvalid => handle == -1;

    /// <summary>The descriptor.</summary>
    public int Fd => (int)handle;

    /// <summary>The peer's address, as a new endpoint (null if accept4 gave none).</summary>
    public EndPoint? Peer(AddressFamily family)
    {
        if (_peerLength == 0)
        {
            return null;
        }

        var address = new SocketAddress(family, SocketAddress.GetMaximumAddressSize(family));
        ReadOnlySpan<byte> peer = ((ReadOnlySpan<byte>)_peer)[.._peerLength];
        if (peer.Length > address.Buffer.Length)
        {
            return null;
        }

        peer.CopyTo(address.Buffer.Span);
        address.Size = peer.Length;
        return EpollSocketIo.ToEndPoint(address);
    }

    /// <summary>
    /// Hands the descriptor over to a new .NET <see cref="Socket"/>, which owns it from then on (this
    /// handle no longer closes it; the peer's address stays readable).
    /// </summary>
    public Socket ToSocket()
    {
        var socket = new Socket(new SafeSocketHandle(handle, ownsHandle: true));
        SetHandleAsInvalid();
        return socket;
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => LibC.close((int)handle) == 0;

    /// <summary>Room for a <c>sockaddr_in6</c> (28 bytes), the largest address a TCP listener accepts from.</summary>
    [InlineArray(Length)]
    internal struct SockAddrBytes
    {
        public const int Length = 28;
        private byte _first;
    }
}
