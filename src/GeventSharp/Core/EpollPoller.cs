using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GeventSharp;

/// <summary>
/// The Linux hub poller: an <c>epoll</c> instance that the hub sleeps in (with its next timer's
/// deadline), an <c>eventfd</c> that other threads write to wake it, and the file descriptors
/// registered by higher layers, whose readiness it reports to their <see cref="IReadinessSink"/>.
/// </summary>
/// <remarks>
/// <para>It knows file descriptors and epoll flags, nothing about what is behind them: what a
/// readiness edge means for a socket (which waiter to wake, whether a receive may find data) is
/// the sink's business (<c>Net/SocketReadiness.cs</c>).</para>
/// <para>Descriptors are registered once, edge-triggered, for input and output; no <c>epoll_ctl</c>
/// call is made per operation. Each <see cref="Wait"/> takes at most <see cref="MaxEvents"/>
/// events; the rest stay queued in the kernel for the next turn, so a burst of ready descriptors
/// (or one that is always ready) cannot keep posted work and timers waiting (gevent #1336).</para>
/// <para>Hub thread only, except <see cref="Wake"/>.</para>
/// </remarks>
internal sealed unsafe class EpollPoller : IHubPoller
{
    internal const int MaxEvents = 256;
    private const ulong WakeData = ulong.MaxValue;

    private static readonly bool s_packed = RuntimeInformation.ProcessArchitecture == Architecture.X64;
    private static readonly int s_stride = s_packed ? 12 : 16;
    private static readonly int s_dataOffset = s_packed ? 4 : 8;

    private readonly int _epfd;
    private readonly int _eventFd;
    private byte* _events;
    private Slot[] _slots = new Slot[64];
    private int[] _free = new int[64];
    private int _freeCount;
    private int _nextSlot;
    private uint _generation;
    private int _wakePending;
    private int _activeWaiters;
    private int _registrations;
    private bool _disposed;

    public EpollPoller()
    {
        _epfd = LibC.epoll_create1(LibC.EPOLL_CLOEXEC);
        if (_epfd < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError());
        }

        _eventFd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        int errno = _eventFd < 0 ? Marshal.GetLastPInvokeError() : Add(_eventFd, LibC.EPOLLIN, WakeData);
        if (errno != 0)
        {
            if (_eventFd >= 0)
            {
                LibC.close(_eventFd);
            }

            LibC.close(_epfd);
            throw new Win32Exception(errno);
        }

        _events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * s_stride));
    }

    /// <summary>True where this poller works: Linux on x64 or arm64.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() &&
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    public bool HasActiveIo => _activeWaiters > 0;

    /// <summary>Greenlets waiting for readiness now (as counted by <see cref="IoWaitStarted"/>).</summary>
    public int ActiveWaiters => _activeWaiters;

    /// <summary>File descriptors registered now.</summary>
    public int Registrations => _registrations;

    public void Wait(int timeoutMilliseconds)
    {
        int n = LibC.epoll_wait(_epfd, _events, MaxEvents, timeoutMilliseconds);
        if (n <= 0)
        {
            // EINTR (a signal) or nothing: the hub simply takes another turn.
            return;
        }

        byte* p = _events;
        int stride = s_stride;
        int dataOffset = s_dataOffset;
        for (int i = 0; i < n; i++, p += stride)
        {
            uint events = Unsafe.ReadUnaligned<uint>(p);
            ulong data = Unsafe.ReadUnaligned<ulong>(p + dataOffset);
            if (data == WakeData)
            {
                ulong value;
                LibC.read(_eventFd, &value, sizeof(ulong));
                Volatile.Write(ref _wakePending, 0);
                continue;
            }

            // An event of a slot unregistered (and maybe reused) earlier in this batch carries the old generation.
            uint slot = (uint)data;
            if (slot < (uint)_slots.Length)
            {
                ref Slot entry = ref _slots[slot];
                if (entry.Generation == (uint)(data >> 32) && entry.Sink is { } sink)
                {
                    sink.OnEvents(events);
                }
            }
        }
    }

    public void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            ulong one = 1;
            LibC.write(_eventFd, &one, sizeof(ulong));
        }
    }

    /// <summary>
    /// Registers <paramref name="fd"/> (already non-blocking), edge-triggered for input, output and
    /// hang-up; its events go to <paramref name="sink"/> until <see cref="Unregister"/>.
    /// </summary>
    /// <returns>The registration's slot (0 or more), or <c>-errno</c> if epoll refused the descriptor.</returns>
    public int Register(int fd, IReadinessSink sink)
    {
        int slot = _freeCount > 0 ? _free[--_freeCount] : _nextSlot++;
        if (slot >= _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
        }

        uint generation = ++_generation;
        int errno = Add(fd, LibC.EPOLLIN | LibC.EPOLLOUT | LibC.EPOLLRDHUP | LibC.EPOLLET, ((ulong)generation << 32) | (uint)slot);
        if (errno != 0)
        {
            Release(slot);
            return -errno;
        }

        _slots[slot] = new Slot { Sink = sink, Fd = fd, Generation = generation };
        _registrations++;
        return slot;
    }

    /// <summary>Removes registration <paramref name="slot"/> (the fd is still open); the slot may be reused at once.</summary>
    public void Unregister(int slot)
    {
        if (!_disposed)
        {
            LibC.epoll_ctl(_epfd, LibC.EPOLL_CTL_DEL, _slots[slot].Fd, null);
        }

        _slots[slot] = default;
        Release(slot);
        _registrations--;
    }

    /// <summary>A greenlet began waiting for readiness: the hub keeps polling and is not idle while any does.</summary>
    public void IoWaitStarted() => _activeWaiters++;

    /// <summary>A wait counted by <see cref="IoWaitStarted"/> ended (woken, timed out, killed or closed).</summary>
    public void IoWaitEnded()
    {
        Debug.Assert(_activeWaiters > 0);
        _activeWaiters--;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        LibC.close(_eventFd);
        LibC.close(_epfd);
        NativeMemory.Free(_events);
        _events = null;
    }

    private void Release(int slot)
    {
        if (_freeCount == _free.Length)
        {
            Array.Resize(ref _free, _free.Length * 2);
        }

        _free[_freeCount++] = slot;
    }

    private int Add(int fd, uint events, ulong data)
    {
        byte* ev = stackalloc byte[16];
        Unsafe.WriteUnaligned(ev, events);
        Unsafe.WriteUnaligned(ev + s_dataOffset, data);
        return LibC.epoll_ctl(_epfd, LibC.EPOLL_CTL_ADD, fd, ev) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    private struct Slot
    {
        public IReadinessSink? Sink;
        public int Fd;
        public uint Generation;
    }
}
