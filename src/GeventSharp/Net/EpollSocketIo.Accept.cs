using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GeventSharp.Net;

/// <summary>Accepting on the epoll backend: accept4 on the listener's descriptor, keeping the peer's address it writes.</summary>
internal sealed partial class EpollSocketIo
{
    /// <summary>Accepts a connection as a .NET socket (for a <see cref="HubGroup"/>'s acceptor, which hands it to another hub).</summary>
    public ValueTask<Socket> AcceptAsync(CancellationToken cancellationToken)
    {
        ValueTask<AcceptedSocketHandle> accept = AcceptHandleAsync(cancellationToken);
        return accept.IsCompletedSuccessfully ? new ValueTask<Socket>(accept.Result.ToSocket()) : AcceptSocketSlowAsync(accept);
    }

    private static async ValueTask<Socket> AcceptSocketSlowAsync(ValueTask<AcceptedSocketHandle> accept) => (await accept).ToSocket();

    /// <summary>Accepts a connection as its descriptor and the peer's address (no .NET socket).</summary>
    public ValueTask<AcceptedSocketHandle> AcceptHandleAsync(CancellationToken cancellationToken)
    {
        AcceptedSocketHandle? accepted = TryAccept(out int errno);
        if (accepted is not null)
        {
            return new ValueTask<AcceptedSocketHandle>(accepted);
        }

        return errno is LibC.EAGAIN or LibC.EINTR or LibC.ECONNABORTED
            ? AcceptSlowAsync(cancellationToken)
            : ValueTask.FromException<AcceptedSocketHandle>(LibC.Error(errno));
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<AcceptedSocketHandle> AcceptSlowAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await WaitReadyAsync(false, cancellationToken);
            AcceptedSocketHandle? accepted = TryAccept(out int errno);
            if (accepted is not null)
            {
                return accepted;
            }

            if (errno is not (LibC.EAGAIN or LibC.EINTR or LibC.ECONNABORTED))
            {
                throw LibC.Error(errno);
            }
        }
    }

    /// <summary>accept4 (non-blocking, close-on-exec), keeping the peer's address it writes; null and the errno on failure.</summary>
    private unsafe AcceptedSocketHandle? TryAccept(out int errno)
    {
        byte* peer = stackalloc byte[AcceptedSocketHandle.SockAddrBytes.Length];
        int length = AcceptedSocketHandle.SockAddrBytes.Length;
        int fd = LibC.accept4(_fd, peer, &length, LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        errno = 0;
        return new AcceptedSocketHandle(fd, new ReadOnlySpan<byte>(peer, Math.Min(length, AcceptedSocketHandle.SockAddrBytes.Length)));
    }
}
