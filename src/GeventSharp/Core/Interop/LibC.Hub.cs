using System.Runtime.InteropServices;

namespace GeventSharp;

/// <summary>
/// The libc calls the hub's own poller makes (Linux): epoll, the eventfd that wakes it, and the
/// errno discipline every syscall wrapper shares. Socket calls are networking's
/// (<c>Net/Interop/LibC.Sockets.cs</c>); the hub never makes one.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    public const int EINTR = 4;
    public const int EAGAIN = 11;

    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLPRI = 0x002;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLET = 0x80000000;

    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, void* ev);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_wait(int epfd, void* events, int maxevents, int timeout);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint read(int fd, void* buf, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint write(int fd, void* buf, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Lib)]
    private static partial int gettid();

    /// <summary>The calling thread's kernel thread id on Linux (for its <c>/proc</c> entries); 0 elsewhere or where libc lacks <c>gettid</c>.</summary>
    public static int CurrentOsThreadId()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        try
        {
            return gettid();
        }
        catch (EntryPointNotFoundException)
        {
            return 0;
        }
        catch (DllNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Reads the outcome of a syscall that just returned <paramref name="result"/>: true when a
    /// signal interrupted it (EINTR) and it should simply be made again; otherwise false, with
    /// <paramref name="errno"/> set (0 on success).
    /// </summary>
    /// <example><code>do { n = LibC.recv(fd, p, len, 0); } while (LibC.RetryOnEintr(n, out errno));</code></example>
    public static bool RetryOnEintr(nint result, out int errno)
    {
        if (result >= 0)
        {
            errno = 0;
            return false;
        }

        errno = Marshal.GetLastPInvokeError();
        return errno == EINTR;
    }
}
