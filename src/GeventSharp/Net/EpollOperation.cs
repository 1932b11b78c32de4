using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;

namespace GeventSharp.Net;

/// <summary>What an <see cref="EpollOperation"/> is doing.</summary>
internal enum EpollOperationKind : byte
{
    Receive,
    Send,
    SendAll,
    WaitReadable,
    WaitWritable,
}

/// <summary>
/// The slow path of one direction of an epoll green socket, reused for every operation: wait for
/// readiness, retry the syscall, complete. Each socket owns one for reading and one for writing.
/// </summary>
/// <remarks>
/// <para>It is its own <see cref="IValueTaskSource{TResult}"/>, so a pending receive or send
/// allocates nothing. It completes inside the waiting greenlet's own hub step (woken by the
/// poller), so it runs the awaiting continuation inline, ignoring the captured synchronization
/// context: posting it would cost an allocation and an extra trip through the ready queue.</para>
/// <para>A kill, timeout or close fails the greenlet's readiness wait; the operation completes
/// with that exception and the socket is left as the syscalls left it.</para>
/// </remarks>
internal sealed class EpollOperation : IValueTaskSource<int>, IValueTaskSource
{
    private readonly EpollSocketIo _io;
    private readonly bool _write;
    private readonly Action _onWake;
    private EpollOperationKind _kind;
    private Memory<byte> _buffer;
    private SocketFlags _flags;
    private CancellationToken _cancellationToken;
    private Greenlet? _greenlet;
    private ValueTask<bool> _wait;
    private int _done;

    // IValueTaskSource state
    private short _version;
    private bool _completed;
    private int _result;
    private ExceptionDispatchInfo? _error;
    private Action<object?>? _continuation;
    private object? _continuationState;

    public EpollOperation(EpollSocketIo io, bool write)
    {
        _io = io;
        _write = write;
        _onWake = OnWake;
    }

    /// <summary>The token of the pending operation's ValueTask.</summary>
    public short Version => _version;

    /// <summary>True while an operation is pending; other greenlets then wait their turn in <see cref="Turn"/>.</summary>
    public bool Busy => _greenlet is not null;

    /// <summary>Greenlets waiting, in order, for the pending operation in this direction to finish.</summary>
    public WaitList Turn => _turn ??= new WaitList();

    private WaitList? _turn;

    /// <summary>Starts a pending operation after the first attempt said EAGAIN (or for a readiness wait).</summary>
    /// <remarks><c>done</c>: bytes already sent (for <see cref="EpollOperationKind.SendAll"/>).</remarks>
    public ValueTask<int> Start(EpollOperationKind kind, Memory<byte> buffer, SocketFlags flags, int done, CancellationToken cancellationToken)
    {
        Debug.Assert(!Busy);
        Greenlet g = Hub.CurrentGreenletOrThrow(_write ? "GreenSocket.SendAsync" : "GreenSocket.ReceiveAsync");
        if (!ReferenceEquals(g._hub, _io.Owner.Hub))
        {
            throw new InvalidOperationException(
                $"{_io.Owner} belongs to another hub (thread {_io.Owner.Hub.Thread.ManagedThreadId}); use a green socket only from greenlets of the hub that created it.");
        }

        _kind = kind;
        _buffer = buffer;
        _flags = flags;
        _done = done;
        _cancellationToken = cancellationToken;
        _completed = false;
        _error = null;
        _result = 0;
        _greenlet = g;
        if (!BeginWait())
        {
            // Completed at once (a pending kill, or a cancelled token): no continuation yet.
            return Finish();
        }

        return new ValueTask<int>(this, _version);
    }

    /// <summary>Registers for readiness; false if the operation already completed.</summary>
    private bool BeginWait()
    {
        Greenlet g = _greenlet!;
        ValueTask<bool> wait;
        try
        {
            wait = _io.Registration.WaitAsync(g, _write, _io.Owner.TimeoutTicks, _cancellationToken);
        }
        catch (Exception e)
        {
            Complete(0, ExceptionDispatchInfo.Capture(e));
            return false;
        }

        if (wait.IsCompleted)
        {
            _wait = wait;
            OnWakeCore();
            return !_completed;
        }

        _wait = wait;
        wait.GetAwaiter().UnsafeOnCompleted(_onWake);
        return true;
    }

    private void OnWake()
    {
        OnWakeCore();
        if (_completed)
        {
            InvokeContinuation();
        }
    }

    /// <summary>The readiness wait ended: retry the syscall, wait again, or complete.</summary>
    private void OnWakeCore()
    {
        Greenlet g = _greenlet!;
        _io.Registration.EndWait(g, _write);
        bool ready;
        try
        {
            ready = _wait.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            Complete(0, ExceptionDispatchInfo.Capture(e));
            return;
        }

        _wait = default;
        if (!ready)
        {
            Complete(0, ExceptionDispatchInfo.Capture(new SocketTimeoutException()));
            return;
        }

        while (true)
        {
            int n;
            int errno;
            switch (_kind)
            {
                case EpollOperationKind.WaitReadable:
                case EpollOperationKind.WaitWritable:
                    Complete(0, null);
                    return;
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

                    Complete(_done, null);
                    return;
                }

                Complete(n, null);
                return;
            }

            if (errno != LibC.EAGAIN)
            {
                Complete(0, ExceptionDispatchInfo.Capture(LibC.Error(errno)));
                return;
            }

            if (_io.Owner.Closed)
            {
                Complete(0, ExceptionDispatchInfo.Capture(new SocketClosedException()));
                return;
            }

            // Spurious or partial readiness: wait for the next edge.
            ValueTask<bool> wait;
            try
            {
                wait = _io.Registration.WaitAsync(g, _write, _io.Owner.TimeoutTicks, _cancellationToken);
            }
            catch (Exception e)
            {
                Complete(0, ExceptionDispatchInfo.Capture(e));
                return;
            }

            _wait = wait;
            if (wait.IsCompleted)
            {
                _io.Registration.EndWait(g, _write);
                try
                {
                    ready = wait.GetAwaiter().GetResult();
                }
                catch (Exception e)
                {
                    Complete(0, ExceptionDispatchInfo.Capture(e));
                    return;
                }

                if (!ready)
                {
                    Complete(0, ExceptionDispatchInfo.Capture(new SocketTimeoutException()));
                    return;
                }

                continue;
            }

            wait.GetAwaiter().UnsafeOnCompleted(_onWake);
            return;
        }
    }

    private void Complete(int result, ExceptionDispatchInfo? error)
    {
        _result = result;
        _error = error;
        _completed = true;
        _greenlet = null;
        _buffer = default;
        _cancellationToken = default;
        _turn?.WakeOne(true); // the next greenlet in line may use the socket in this direction
    }

    /// <summary>Completed synchronously inside <see cref="Start"/>: hand back a plain ValueTask.</summary>
    private ValueTask<int> Finish()
    {
        ExceptionDispatchInfo? error = _error;
        _error = null;
        _version++;
        return error is null ? new ValueTask<int>(_result) : ValueTask.FromException<int>(error.SourceException);
    }

    private void InvokeContinuation()
    {
        Action<object?>? c = _continuation;
        object? s = _continuationState;
        _continuation = null;
        _continuationState = null;
        c?.Invoke(s);
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        CheckToken(token);
        return !_completed ? ValueTaskSourceStatus.Pending
            : _error is null ? ValueTaskSourceStatus.Succeeded
            : _error.SourceException is OperationCanceledException ? ValueTaskSourceStatus.Canceled
            : ValueTaskSourceStatus.Faulted;
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        CheckToken(token);
        if (_completed)
        {
            continuation(state); // awaited late; rare (a stored ValueTask)
            return;
        }

        _continuation = continuation;
        _continuationState = state;
    }

    public int GetResult(short token)
    {
        CheckToken(token);
        if (!_completed)
        {
            throw new InvalidOperationException("A green socket operation was read before it completed; await it directly.");
        }

        _version++;
        ExceptionDispatchInfo? error = _error;
        _error = null;
        error?.Throw();
        return _result;
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    private void CheckToken(short token)
    {
        if (token != _version)
        {
            throw new InvalidOperationException("This green socket ValueTask was already awaited; await each operation once.");
        }
    }
}
