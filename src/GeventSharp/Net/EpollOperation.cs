using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace GeventSharp.Net;

/// <summary>What an <see cref="EpollOperation"/> is doing.</summary>
internal enum EpollOperationKind : byte
{
    Receive,
    Send,
    SendAll,
    WaitWritable,
}

/// <summary>
/// The slow path of one direction of an epoll green socket, reused for every operation: wait for
/// readiness, retry the syscall, complete. A socket makes one for reading and one for writing, each
/// when an operation in its direction first has to wait (a zero-byte receive needs none).
/// </summary>
/// <remarks>
/// <para>It is its own <see cref="IValueTaskSource{TResult}"/> (over a
/// <see cref="HubValueTaskSourceCore{TResult}"/>), so a pending receive or send allocates nothing.
/// It completes inside the waiting greenlet's own hub step (woken by the poller), so the awaiting
/// continuation runs inline.</para>
/// <para>A kill, timeout or close fails the greenlet's readiness wait; the operation completes
/// with that exception and the socket is left as the syscalls left it.</para>
/// </remarks>
internal sealed class EpollOperation : IValueTaskSource<int>, IValueTaskSource
{
    private readonly EpollSocketIo _io;
    private readonly bool _write;
    // The readiness wait's continuation, given to the waiting greenlet (the pending wait's source)
    // with this operation as its state: no delegate per socket.
    private static readonly Action<object?> s_onWake = static state => ((EpollOperation)state!).OnWake();

    private Action? _onWake; // only for a pending wait whose source is not its greenlet (none today)
    private HubValueTaskSourceCore<int> _core;
    private EpollOperationKind _kind;
    private Memory<byte> _buffer;
    private SocketFlags _flags;
    private CancellationToken _cancellationToken;
    private Greenlet? _greenlet;
    private ValueTask<bool> _wait;
    private int _done;
    private WaitList? _turn;

    public EpollOperation(EpollSocketIo io, bool write)
    {
        _io = io;
        _write = write;
    }

    /// <summary>The token of the pending operation's ValueTask.</summary>
    public short Version => _core.Version;

    /// <summary>True while an operation is pending; other greenlets then wait their turn in <see cref="Turn"/>.</summary>
    public bool Busy => _greenlet is not null;

    /// <summary>Greenlets waiting, in order, for the pending operation in this direction to finish.</summary>
    public WaitList Turn => _turn ??= new WaitList();

    /// <summary>Starts a pending operation after the first attempt said EAGAIN (or for a readiness wait).</summary>
    /// <remarks><c>done</c>: bytes already sent (for <see cref="EpollOperationKind.SendAll"/>).</remarks>
    public ValueTask<int> Start(EpollOperationKind kind, Memory<byte> buffer, SocketFlags flags, int done, CancellationToken cancellationToken)
    {
        Debug.Assert(!Busy);
        Greenlet g = _io.CurrentGreenlet(_write);

        _kind = kind;
        _buffer = buffer;
        _flags = flags;
        _done = done;
        _cancellationToken = cancellationToken;
        _greenlet = g;
        _core.Reset();

        // Completed at once (a pending kill, a cancelled token, readiness already there): no continuation yet.
        return WaitAndRetry() ? new ValueTask<int>(this, _core.Version) : _core.TakeCompleted();
    }

    /// <summary>Waits for readiness and retries until the operation completes (false) or a wait is pending (true).</summary>
    private bool WaitAndRetry()
    {
        while (true)
        {
            ValueTask<bool> wait;
            WaitTicket started;
            try
            {
                wait = _io.Readiness.WaitAsync(_greenlet!, _write, _io.Owner.TimeoutTicks, _cancellationToken, out started);
            }
            catch (Exception e)
            {
                Complete(0, e);
                return false;
            }

            if (!wait.IsCompleted)
            {
                _wait = wait;
                if (ReferenceEquals(started.Greenlet, _greenlet))
                {
                    ((IValueTaskSource<bool>)_greenlet!).OnCompleted(s_onWake, this, started.Version, ValueTaskSourceOnCompletedFlags.None);
                }
                else
                {
                    wait.GetAwaiter().UnsafeOnCompleted(_onWake ??= OnWake);
                }

                return true;
            }

            if (!Resume(wait))
            {
                return false;
            }
        }
    }

    private void OnWake()
    {
        ValueTask<bool> wait = _wait;
        _wait = default;
        if (Resume(wait))
        {
            WaitAndRetry();
        }
    }

    /// <summary>
    /// A readiness wait ended: retry the syscall. True if it said EAGAIN again (spurious or partial
    /// readiness: wait for the next edge); false once the operation completed.
    /// </summary>
    private bool Resume(ValueTask<bool> wait)
    {
        _io.Readiness.EndWait(_greenlet!, _write);
        bool ready;
        try
        {
            ready = wait.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            Complete(0, e);
            return false;
        }

        if (!ready)
        {
            Complete(0, new SocketTimeoutException());
            return false;
        }

        while (true)
        {
            int n;
            int errno;
            switch (_kind)
            {
                case EpollOperationKind.WaitWritable:
                    Complete(0, null);
                    return false;
                case EpollOperationKind.Receive:
                    n = _io.TryReceive(_buffer.Span, _flags, out errno);
                    break;
                default:
                    n = _io.TrySend(_buffer.Span.Slice(_done), _flags, out errno);
                    break;
            }

            if (n >= 0)
            {
                if (_kind == EpollOperationKind.SendAll)
                {
                    _done += n;
                    if (_done < _buffer.Length)
                    {
                        continue; // try the rest at once; EAGAIN will make us wait
                    }

                    n = _done;
                }

                Complete(n, null);
                return false;
            }

            if (errno != LibC.EAGAIN)
            {
                Complete(0, LibC.Error(errno));
                return false;
            }

            if (_io.Owner.Closed)
            {
                Complete(0, new SocketClosedException());
                return false;
            }

            return true;
        }
    }

    /// <summary>Ends the operation; the awaiting continuation (if any) runs inline, so nothing may touch this operation afterwards.</summary>
    private void Complete(int result, Exception? error)
    {
        _greenlet = null;
        _buffer = default;
        _cancellationToken = default;
        WakeTurn(); // the next greenlet in line may use the socket in this direction
        if (error is null)
        {
            _core.SetResult(result);
        }
        else
        {
            _core.SetException(error);
        }
    }

    /// <summary>Lets the next greenlet waiting its turn in this direction (if any) try again.</summary>
    public void WakeTurn() => _turn?.WakeOne(true);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token);

    public int GetResult(short token) => _core.GetResult(token);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);
}
