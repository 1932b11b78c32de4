using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace GeventSharp.Net;

/// <summary>
/// A connection accepted on the epoll backend holds its descriptor and the peer's address as
/// accepted (<see cref="AcceptedSocketHandle"/>), not .NET's <see cref="System.Net.Sockets.Socket"/>:
/// what it needs is done with syscalls, and the .NET socket is made only if someone asks for it.
/// </summary>
public sealed partial class GreenSocket
{
    /// <summary>The peer's address as accept4 gave it, for a connection accepted on the epoll backend; otherwise null.</summary>
    internal EndPoint? AcceptedPeer => _accepted?.Peer(_family);

    /// <summary>.NET's socket if there is one yet (an accepted connection has none until asked for).</summary>
    internal Socket? SocketIfCreated => _socket;

    /// <summary>True for a connection accepted on the epoll backend that has no .NET socket (yet).</summary>
    internal bool HoldsNoDotNetSocket => _socket is null;

    /// <summary>Makes the .NET socket of an accepted connection, which takes its descriptor over.</summary>
    private Socket CreateSocket()
    {
        if (_closed)
        {
            ThrowClosed();
        }

        Socket socket = _accepted!.ToSocket();
        _socket = socket;
        return socket;
    }

    private static unsafe void SetTcpNoDelay(int fd, bool on)
    {
        int value = on ? 1 : 0;
        if (LibC.setsockopt(fd, LibC.IPPROTO_TCP, LibC.TCP_NODELAY, &value, sizeof(int)) != 0)
        {
            throw LibC.Error(Marshal.GetLastPInvokeError());
        }
    }

    private static unsafe bool GetTcpNoDelay(int fd)
    {
        int value = 0;
        int length = sizeof(int);
        if (LibC.getsockopt(fd, LibC.IPPROTO_TCP, LibC.TCP_NODELAY, &value, &length) != 0)
        {
            throw LibC.Error(Marshal.GetLastPInvokeError());
        }

        return value != 0;
    }

    private void ShutdownAccepted(SocketShutdown how)
    {
        if (LibC.shutdown(_accepted!.Fd, (int)how) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.ENOTCONN)
            {
                throw LibC.Error(errno);
            }
        }
    }
}
