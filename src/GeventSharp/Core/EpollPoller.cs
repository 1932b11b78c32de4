using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GeventSharp;

/// <summary>
/// The Linux hub poller: an <c>epoll</c> instance that the hub sleeps in (with its next timer's
/// deadline), an <c>eventfd</c> that other threads write to wake it, and the registrations of
/// green sockets, whose readiness wakes the greenlets waiting on them.
/// </summary>
/// <remarks>
/// <para>Sockets are registered once, edge-triggered, for input and output; no <c>epoll_ctl</c>
/// call is made per operation. A greenlet tries its syscall first and waits only after
/// <c>EAGAIN</c>, so an edge that arrives while nobody waits is harmless: the next attempt
/// reads the data anyway.</para>
/// <para>Each <see cref="Wait"/> takes at most <see cref="MaxEvents"/> events; the rest stay
/// queued in the kernel for the next turn, so a burst of ready sockets (or one that is always
/// ready) cannot keep posted work and timers waiting (gevent #1336).</para>
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
    private IoRegistration?[] _slots = new IoRegistration?[64];
    private int[] _free = new int[64];
    private int _freeCount;
    private int _nextSlot;
    private int _wakePending;
    private int _activeWaiters;
    private int _registrations;
    private bool _disposed;

    public EpollPoller()
    {
        _epfd = LibC.epoll_create1(LibC.EPOLL_CLOEXEC);
        if (_epfd < 0)
        {
            throw LibC.Error(Marshal.GetLastPInvokeError());
        }

        _eventFd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (_eventFd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            LibC.close(_epfd);
            throw LibC.Error(errno);
        }

        Add(_eventFd, LibC.EPOLLIN, WakeData);
        _events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * s_stride));
    }

    /// <summary>True where this poller works: Linux on x64 or arm64.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() &&
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    public bool HasActiveIo => _activeWaiters > 0;

    /// <summary>Greenlets waiting for readiness now.</summary>
    public int ActiveWaiters => _activeWaiters;

    /// <summary>Sockets registered now.</summary>
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

            int slot = (int)(uint)data;
            IoRegistration? reg = (uint)slot < (uint)_slots.Length ? _slots[slot] : null;
            if (reg is not null && reg.Generation == (uint)(data >> 32))
            {
                reg.OnEvents(events);
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

    /// <summary>Registers <paramref name="fd"/> (already non-blocking), edge-triggered for input and output.</summary>
    public IoRegistration Register(int fd, object owner)
    {
        int slot = _freeCount > 0 ? _free[--_freeCount] : _nextSlot++;
        if (slot >= _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
        }

        var reg = new IoRegistration(this, fd, slot, owner);
        _slots[slot] = reg;
        ulong data = ((ulong)reg.Generation << 32) | (uint)slot;
        try
        {
            Add(fd, LibC.EPOLLIN | LibC.EPOLLOUT | LibC.EPOLLRDHUP | LibC.EPOLLET, data);
        }
        catch
        {
            Release(reg);
            throw;
        }

        _registrations++;
        return reg;
    }

    /// <summary>Removes the registration (the fd is still open); its slot may be reused at once.</summary>
    public void Unregister(IoRegistration reg)
    {
        if (!_disposed)
        {
            LibC.epoll_ctl(_epfd, LibC.EPOLL_CTL_DEL, reg.Fd, null);
        }

        Release(reg);
        _registrations--;
    }

    internal void WaiterAdded() => _activeWaiters++;

    internal void WaiterRemoved()
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

    private void Release(IoRegistration reg)
    {
        _slots[reg.Slot] = null;
        if (_freeCount == _free.Length)
        {
            Array.Resize(ref _free, _free.Length * 2);
        }

        _free[_freeCount++] = reg.Slot;
    }

    private void Add(int fd, uint events, ulong data)
    {
        byte* ev = stackalloc byte[16];
        Unsafe.WriteUnaligned(ev, events);
        Unsafe.WriteUnaligned(ev + s_dataOffset, data);
        if (LibC.epoll_ctl(_epfd, LibC.EPOLL_CTL_ADD, fd, ev) != 0)
        {
            throw LibC.Error(Marshal.GetLastPInvokeError());
        }
    }
}

/// <summary>
/// One file descriptor registered with the <see cref="EpollPoller"/>: at most one greenlet waits
/// to read it and one to write it, as in gevent (a second would be a bug in the caller).
/// </summary>
internal sealed class IoRegistration
{
    private static int s_generation;

    private readonly EpollPoller _poller;
    private Greenlet? _reader;
    private Greenlet? _writer;
    private short _readerVersion;
    private short _writerVersion;

    internal IoRegistration(EpollPoller poller, int fd, int slot, object owner)
    {
        _poller = poller;
        Fd = fd;
        Slot = slot;
        Owner = owner;
        Generation = unchecked((uint)Interlocked.Increment(ref s_generation));
    }

    public int Fd { get; }

    public int Slot { get; }

    public uint Generation { get; }

    /// <summary>The socket, for "waits on" descriptions.</summary>
    public object Owner { get; }

    public bool HasWaiters => _reader is not null || _writer is not null;

    /// <summary>
    /// False once a receive has drained the socket (EAGAIN, or fewer bytes than asked for); true
    /// again whenever the poller reports input. While false, a receive waits
    /// for readiness at once instead of making a syscall that would say EAGAIN (as Go's netpoll
    /// remembers readiness): one syscall fewer per request/response.
    /// </summary>
    /// <remarks>
    /// End of stream and errors are sticky: a read that returns the last data does not return the
    /// end of stream queued behind it, and no new edge will announce it, so once the poller has
    /// reported RDHUP, HUP or ERR the socket is never considered drained again.
    /// </remarks>
    public bool MayHaveInput => _mayHaveInput || _inputEnded;

    private bool _mayHaveInput = true;
    private bool _inputEnded;

    /// <summary>A receive found the queue empty (EAGAIN, or a short read).</summary>
    public void NoteDrained() => _mayHaveInput = false;

    public void OnEvents(uint events)
    {
        if ((events & (LibC.EPOLLIN | LibC.EPOLLPRI | LibC.EPOLLERR | LibC.EPOLLHUP | LibC.EPOLLRDHUP)) != 0)
        {
            // Edges coalesce: this one may stand for more input than the next receive takes.
            _mayHaveInput = true;
            if ((events & (LibC.EPOLLRDHUP | LibC.EPOLLHUP | LibC.EPOLLERR)) != 0)
            {
                _inputEnded = true;
            }

            if (_reader is { } r)
            {
                _reader = null;
                _poller.WaiterRemoved();
                r.WakeDirect(_readerVersion, true);
            }
        }

        if ((events & (LibC.EPOLLOUT | LibC.EPOLLERR | LibC.EPOLLHUP)) != 0 && _writer is { } w)
        {
            _writer = null;
            _poller.WaiterRemoved();
            w.WakeDirect(_writerVersion, true);
        }
    }

    /// <summary>
    /// Suspends <paramref name="g"/> (the current greenlet) until the fd is ready for reading
    /// (or writing), the timeout elapses (false) or the wait is failed. Pair with <see cref="EndWait"/>.
    /// </summary>
    public ValueTask<bool> WaitAsync(Greenlet g, bool write, long timeoutTicks, CancellationToken cancellationToken)
    {
        Greenlet? other = write ? _writer : _reader;
        if (other is not null)
        {
            throw new InvalidOperationException(
                $"{other} is already waiting to {(write ? "write to" : "read from")} {Owner}; one greenlet at a time may {(write ? "write to" : "read from")} a socket.");
        }

        ValueTask<bool> wait = g.SuspendOn(Owner, null, timeoutTicks, cancellationToken);
        if (wait.IsCompleted)
        {
            return wait;
        }

        if (write)
        {
            _writer = g;
            _writerVersion = g._version;
        }
        else
        {
            _reader = g;
            _readerVersion = g._version;
        }

        _poller.WaiterAdded();
        return wait;
    }

    /// <summary>After a wait ended any way (readiness, timeout, kill): forget <paramref name="g"/> if it is still registered.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EndWait(Greenlet g, bool write)
    {
        if (write)
        {
            if (ReferenceEquals(_writer, g))
            {
                _writer = null;
                _poller.WaiterRemoved();
            }
        }
        else if (ReferenceEquals(_reader, g))
        {
            _reader = null;
            _poller.WaiterRemoved();
        }
    }

    /// <summary>Unregisters and fails any waiter at once with <paramref name="error"/> (the socket is being closed).</summary>
    public void Close(Func<Exception> error)
    {
        Fail(ref _reader, _readerVersion, error);
        Fail(ref _writer, _writerVersion, error);
        _poller.Unregister(this);
    }

    private void Fail(ref Greenlet? waiter, short version, Func<Exception> error)
    {
        Greenlet? g = waiter;
        if (g is null)
        {
            return;
        }

        waiter = null;
        _poller.WaiterRemoved();
        if (g._state == GreenletState.Waiting && g._version == version)
        {
            g.ThrowIn(error());
        }
    }
}
