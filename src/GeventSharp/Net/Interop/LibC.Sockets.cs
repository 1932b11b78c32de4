using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace GeventSharp;

/// <summary>
/// The libc calls green sockets make (Linux), and the mapping of their errno values to
/// <see cref="SocketException"/>: networking's half of <see cref="LibC"/> (the hub's half is in Core).
/// </summary>
internal static unsafe partial class LibC
{
    public const int ENOMEM = 12;
    public const int EINVAL = 22;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int ENOBUFS = 105;
    public const int EINPROGRESS = 115;
    public const int ECONNABORTED = 103;

    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int SOL_SOCKET = 1;
    public const int SO_ERROR = 4;
    public const int IPPROTO_TCP = 6;
    public const int TCP_NODELAY = 1;
    public const int ENOTCONN = 107;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int O_NONBLOCK = 0x800;
    public const int RLIMIT_NOFILE = 7;

    // recv and send run once or more per request: declared without SetLastError, whose generated
    // wrapper clears errno before every call and copies it to the thread's last P/Invoke error
    // after (two more native calls and a thread-static write). A failed call's errno is read at
    // once instead (RetryOnEintrNow), the same way that wrapper reads it after the call returns.
    // Without the GC transition too: green sockets are always non-blocking, so these return within
    // microseconds (data or EAGAIN), and the transition's frame setup and thread-local lookups
    // (twice per request) cost more than the GC of another thread waiting those microseconds for
    // the hub to come back to managed code. A signal that suspends for a GC interrupts them: EINTR, retried.
    //
    // And without libc's wrappers of recv and send where the syscall numbers are known (x64, arm64):
    // those are cancellation points, and in a multi-threaded process (every .NET one) each call
    // enables and disables asynchronous cancellation around the syscall, two atomic updates of the
    // thread's cancellation state that a single-threaded C server skips (1-1.5% of an HTTP server's
    // samples under load). No thread of this process is ever cancelled with pthread_cancel, so they
    // buy nothing here; syscall(2) itself is not a cancellation point. recv and send are recvfrom
    // and sendto without an address, as libc makes them. syscall(2) is variadic, called here with six
    // fixed integer arguments: on x64 and arm64 Linux a variadic callee takes integer arguments where a
    // fixed one does (and glibc's syscall reads only those), so the call is the same.
    public static nint recv(int fd, byte* buf, nint len, int flags)
        => s_direct ? syscall(s_recvfrom, fd, (nint)buf, len, flags, 0, 0) : libc_recv(fd, buf, len, flags);

    public static nint send(int fd, byte* buf, nint len, int flags)
        => s_direct ? syscall(s_sendto, fd, (nint)buf, len, flags, 0, 0) : libc_send(fd, buf, len, flags);

    private static readonly nint s_recvfrom = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 45,
        Architecture.Arm64 => 207,
        _ => -1,
    };

    private static readonly nint s_sendto = s_recvfrom switch { 45 => 44, 207 => 206, _ => -1 };

    private static readonly bool s_direct = s_recvfrom >= 0 && OperatingSystem.IsLinux();

    [LibraryImport(Lib)]
    [SuppressGCTransition]
    private static partial nint syscall(nint number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    [LibraryImport(Lib, EntryPoint = "recv")]
    [SuppressGCTransition]
    private static partial nint libc_recv(int fd, byte* buf, nint len, int flags);

    [LibraryImport(Lib, EntryPoint = "send")]
    [SuppressGCTransition]
    private static partial nint libc_send(int fd, byte* buf, nint len, int flags);

    /// <summary>
    /// <see cref="RetryOnEintr"/> for the calls declared without <c>SetLastError</c>
    /// (<see cref="recv"/>, <see cref="send"/>): reads errno itself, so call it straight after the syscall.
    /// </summary>
    public static bool RetryOnEintrNow(nint result, out int errno)
    {
        errno = result >= 0 ? 0 : Marshal.GetLastSystemError();
        return errno == EINTR;
    }

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint recvfrom(int fd, byte* buf, nint len, int flags, byte* addr, int* addrlen);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint sendto(int fd, byte* buf, nint len, int flags, byte* addr, int addrlen);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int accept4(int fd, byte* addr, int* addrlen, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int connect(int fd, byte* addr, int addrlen);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int getsockopt(int fd, int level, int name, void* value, int* len);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, int len);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int shutdown(int fd, int how);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint nfds, int timeout);

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int getsockname(int fd, byte* addr, int* addrlen);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int getpeername(int fd, byte* addr, int* addrlen);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int getrlimit(int resource, RLimit* rlim);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int setrlimit(int resource, RLimit* rlim);

    /// <summary>struct rlimit on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }

    /// <summary>Maps a Linux errno to the closest <see cref="SocketError"/>.</summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        1 or 13 => SocketError.AccessDenied,
        4 => SocketError.Interrupted,
        9 => SocketError.OperationAborted,
        11 => SocketError.WouldBlock,
        12 or 105 => SocketError.NoBufferSpaceAvailable,
        22 => SocketError.InvalidArgument,
        23 or 24 => SocketError.TooManyOpenSockets,
        32 => SocketError.Shutdown,
        88 => SocketError.NotSocket,
        90 => SocketError.MessageSize,
        97 => SocketError.AddressFamilyNotSupported,
        98 => SocketError.AddressAlreadyInUse,
        99 => SocketError.AddressNotAvailable,
        100 => SocketError.NetworkDown,
        101 => SocketError.NetworkUnreachable,
        103 => SocketError.ConnectionAborted,
        104 => SocketError.ConnectionReset,
        106 => SocketError.IsConnected,
        107 => SocketError.NotConnected,
        110 => SocketError.TimedOut,
        111 => SocketError.ConnectionRefused,
        113 => SocketError.HostUnreachable,
        114 => SocketError.AlreadyInProgress,
        115 => SocketError.InProgress,
        _ => SocketError.SocketError,
    };

    public static SocketException Error(int errno) => new((int)ToSocketError(errno));

    /// <summary>Reads RLIMIT_NOFILE.</summary>
    public static RLimit GetFileLimit()
    {
        RLimit lim;
        return getrlimit(RLIMIT_NOFILE, &lim) == 0 ? lim : throw Error(Marshal.GetLastPInvokeError());
    }

    /// <summary>Sets RLIMIT_NOFILE.</summary>
    public static void SetFileLimit(RLimit lim)
    {
        if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
        {
            throw Error(Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Raises the soft limit on open file descriptors to <paramref name="wanted"/> (at most the hard limit); returns the new soft limit.</summary>
    public static ulong RaiseFileLimit(ulong wanted)
    {
        RLimit lim;
        if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
        {
            return 0;
        }

        if (lim.Current >= wanted)
        {
            return lim.Current;
        }

        lim.Current = Math.Min(wanted, lim.Max);
        setrlimit(RLIMIT_NOFILE, &lim);
        getrlimit(RLIMIT_NOFILE, &lim);
        return lim.Current;
    }
}
