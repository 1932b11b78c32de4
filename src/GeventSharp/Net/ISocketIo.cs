using System.Net;
using System.Net.Sockets;

namespace GeventSharp.Net;

/// <summary>
/// How a <see cref="GreenSocket"/> performs its operations: on the hub thread with epoll
/// (<see cref="EpollSocketIo"/>) or through .NET's asynchronous sockets (<see cref="PortableSocketIo"/>).
/// </summary>
/// <remarks>
/// Every method is called on the hub thread from the greenlet that waits. Timeouts come from the
/// owner's <see cref="GreenSocket.Timeout"/> and raise <see cref="SocketTimeoutException"/>; a
/// close while waiting raises <see cref="SocketClosedException"/>.
/// </remarks>
internal interface ISocketIo
{
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, SocketFlags flags, CancellationToken cancellationToken);

    ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, SocketFlags flags, CancellationToken cancellationToken);

    /// <summary>Sends all of <paramref name="buffer"/>; each wait is bounded by the owner's timeout.</summary>
    ValueTask SendAllAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken);

    ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, SocketFlags flags, CancellationToken cancellationToken);

    ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, SocketFlags flags, EndPoint remote, CancellationToken cancellationToken);

    ValueTask<Socket> AcceptAsync(CancellationToken cancellationToken);

    ValueTask ConnectAsync(EndPoint remote, CancellationToken cancellationToken);

    /// <summary>Waits until the socket is readable (or writable); gevent's <c>wait_read</c>/<c>wait_write</c>.</summary>
    ValueTask WaitAsync(bool write, CancellationToken cancellationToken);

    EndPoint? LocalEndPoint { get; }

    EndPoint? RemoteEndPoint { get; }

    /// <summary>Fails every waiter with <see cref="SocketClosedException"/> and forgets the socket; the owner then disposes it.</summary>
    void Close();
}
