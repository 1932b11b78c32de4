using System.Runtime.CompilerServices;

namespace GeventSharp.Net;

/// <summary>
/// What a green socket knows of its readiness: registered with the hub's <see cref="EpollPoller"/>
/// as the descriptor's <see cref="IReadinessSink"/>, it turns edges into wake-ups of the greenlet
/// waiting to read and the one waiting to write, and remembers whether a receive may find input.
/// </summary>
/// <remarks>
/// At most one greenlet waits in each direction, as in gevent (a second would be a bug in the
/// caller; <see cref="EpollOperation"/> queues the others). Waits go through the core's one
/// low-level entry point: <c>Greenlet.SuspendOn</c>, as direct waits woken through their <see cref="WaitTicket"/>.
/// </remarks>
internal sealed class SocketReadiness : IReadinessSink
{
    private readonly EpollPoller _poller;
    private readonly int _slot;
    // The wait of the greenlet waiting to read, and of the one waiting to write: direct waits (no
    // WaitList, which would take 112 bytes per direction), woken or failed through their tickets.
    private WaitTicket _reader;
    private WaitTicket _writer;

    // The waiter of each direction counted in the poller's active waiters (the hub keeps polling
    // while any is): the last one to start waiting, until an edge, its EndWait or Close.
    private Greenlet? _countedReader;
    private Greenlet? _countedWriter;
    private bool _mayHaveInput = true;
    private bool _inputEnded;

    /// <summary>Registers <paramref name="fd"/> (already non-blocking) with <paramref name="poller"/>.</summary>
    public SocketReadiness(EpollPoller poller, int fd, object owner)
    {
        _poller = poller;
        Owner = owner;
        _slot = poller.Register(fd, this);
        if (_slot < 0)
        {
            throw LibC.Error(-_slot);
        }
    }

    /// <summary>The socket, for "waits on" descriptions.</summary>
    public object Owner { get; }

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

            if (_countedReader is not null)
            {
                Uncount(ref _countedReader);
                _reader.TryWake(true);
            }
        }

        if ((events & (LibC.EPOLLOUT | LibC.EPOLLERR | LibC.EPOLLHUP)) != 0 && _countedWriter is not null)
        {
            Uncount(ref _countedWriter);
            _writer.TryWake(true);
        }
    }

    /// <summary>
    /// Suspends <paramref name="g"/> (the current greenlet) until the fd is ready for reading
    /// (or writing), the timeout elapses (false) or the wait is failed. Pair with <see cref="EndWait"/>.
    /// </summary>
    public ValueTask<bool> WaitAsync(Greenlet g, bool write, long timeoutTicks, CancellationToken cancellationToken)
        => WaitAsync(g, write, timeoutTicks, cancellationToken, out _);

    /// <summary>
    /// <see cref="WaitAsync(Greenlet, bool, long, CancellationToken)"/>, with the wait's ticket (empty
    /// if the wait did not start): while the wait is pending, its <see cref="ValueTask{TResult}"/>'s
    /// source is the greenlet and its token the ticket's version.
    /// </summary>
    public ValueTask<bool> WaitAsync(Greenlet g, bool write, long timeoutTicks, CancellationToken cancellationToken, out WaitTicket started)
    {
        ref WaitTicket waiter = ref write ? ref _writer : ref _reader;
        if (waiter.IsCurrent)
        {
            throw new InvalidOperationException(
                $"{waiter.Greenlet} is already waiting to {(write ? "write to" : "read from")} {Owner}; one greenlet at a time may {(write ? "write to" : "read from")} a socket.");
        }

        ValueTask<bool> wait = g.SuspendOn(Owner, null, timeoutTicks, cancellationToken, out started);
        if (started.Greenlet is not null)
        {
            waiter = started;

            // A waiter that timed out (or was killed) and has not run its EndWait yet may still be
            // counted: the count passes to this one, and the other's EndWait will not find itself.
            ref Greenlet? counted = ref write ? ref _countedWriter : ref _countedReader;
            if (counted is null)
            {
                _poller.IoWaitStarted();
            }

            counted = g;
        }

        return wait;
    }

    /// <summary>After <paramref name="g"/>'s wait ended any way (readiness, timeout, kill): stop counting it if nothing else did.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EndWait(Greenlet g, bool write)
    {
        ref Greenlet? counted = ref write ? ref _countedWriter : ref _countedReader;
        if (ReferenceEquals(counted, g))
        {
            Uncount(ref counted);
        }
    }

    /// <summary>Unregisters and fails any waiter at once with <paramref name="error"/> (the socket is being closed).</summary>
    public void Close(Func<Exception> error)
    {
        if (_countedReader is not null)
        {
            Uncount(ref _countedReader);
        }

        if (_countedWriter is not null)
        {
            Uncount(ref _countedWriter);
        }

        if (_reader.IsCurrent)
        {
            _reader.TryFail(error());
        }

        if (_writer.IsCurrent)
        {
            _writer.TryFail(error());
        }

        _reader = default;
        _writer = default;
        _poller.Unregister(_slot);
    }

    private void Uncount(ref Greenlet? counted)
    {
        counted = null;
        _poller.IoWaitEnded();
    }
}
