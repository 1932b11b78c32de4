using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace GeventSharp.Net;

/// <summary>
/// A zero-byte receive, or <see cref="GreenSocket.WaitReadableAsync"/>, that has to wait (the .NET
/// convention for "wait until readable", which HTTP's idle connections and
/// <see cref="System.Net.Security.SslStream"/> use): the waiting
/// greenlet's own readiness wait is the pending <see cref="ValueTask{TResult}"/>'s source, seen
/// through this socket as an <see cref="IValueTaskSource{TResult}"/> of <see cref="int"/>. No
/// <see cref="EpollOperation"/> is needed for it, so an idle connection has none.
/// </summary>
/// <remarks>
/// The wait ends as the operation's would: readable (0), the socket's timeout
/// (<see cref="SocketTimeoutException"/>), a kill, a cancellation or a close (their exceptions).
/// While it is pending, other receives on the socket wait their turn, as behind a pending operation.
/// </remarks>
internal sealed partial class EpollSocketIo : IValueTaskSource
{
    private Greenlet? _readinessWaiter; // the greenlet in a zero-byte receive's wait, until it reads the outcome

    /// <summary>True while a receive, or a zero-byte receive's wait, is pending: another must wait its turn.</summary>
    private bool ReadBusy => _readinessWaiter is not null || _readOp is { Busy: true };

    /// <summary>The current greenlet, which must belong to this socket's hub, for an operation that waits.</summary>
    internal Greenlet CurrentGreenlet(bool write)
    {
        Greenlet g = Hub.CurrentGreenletOrThrow(write ? "GreenSocket.SendAsync" : "GreenSocket.ReceiveAsync");
        if (!ReferenceEquals(g.Hub, _owner.Hub))
        {
            throw new InvalidOperationException(
                $"{_owner} belongs to another hub (thread {_owner.Hub.Thread.ManagedThreadId}); use a green socket only from greenlets of the hub that created it.");
        }

        return g;
    }

    /// <summary>
    /// <see cref="GreenSocket.WaitReadableAsync"/>: the zero-byte receive's wait, untyped. As that
    /// receive, it asks the kernel (a zero-timeout poll) only when no receive has drained the socket
    /// since the last edge, and needs no <see cref="EpollOperation"/>: waiting for data before renting a
    /// buffer costs no syscall more than a receive into a buffer held all along.
    /// </summary>
    public ValueTask WaitReadableAsync(CancellationToken cancellationToken)
    {
        if (ReadBusy)
        {
            return new ValueTask(ReceiveAfterTurn(Memory<byte>.Empty, SocketFlags.None, cancellationToken).AsTask());
        }

        if (_readiness.MayHaveInput && IsReadyNow(write: false))
        {
            return default;
        }

        if (StartWaitReadable(cancellationToken, out short token, out ValueTask<int> ended))
        {
            return new ValueTask(this, token);
        }

        return ended.IsCompletedSuccessfully ? default : new ValueTask(ended.AsTask()); // AsTask only for a failure or the slow path
    }

    /// <summary>A zero-byte receive on a socket that is not readable now: waits for the next readiness edge.</summary>
    private ValueTask<int> WaitReadable(CancellationToken cancellationToken)
        => StartWaitReadable(cancellationToken, out short token, out ValueTask<int> ended) ? new ValueTask<int>(this, token) : ended;

    /// <summary>
    /// Starts the current greenlet's wait for the next readiness edge. True if it is pending with
    /// this socket as its source (<paramref name="token"/> its version); false with the outcome, or
    /// a task for it, in <paramref name="ended"/>.
    /// </summary>
    private bool StartWaitReadable(CancellationToken cancellationToken, out short token, out ValueTask<int> ended)
    {
        token = 0;
        Greenlet g = CurrentGreenlet(write: false);
        ValueTask<bool> wait;
        WaitTicket started;
        try
        {
            wait = _readiness.WaitAsync(g, write: false, _owner.TimeoutTicks, cancellationToken, out started);
        }
        catch (Exception e)
        {
            ended = ValueTask.FromException<int>(e);
            return false;
        }

        _readinessWaiter = g;
        if (wait.IsCompleted)
        {
            // Ended at once (a pending kill, a cancelled token): the outcome is read now.
            try
            {
                ended = new ValueTask<int>(Readable(wait.GetAwaiter().GetResult()));
            }
            catch (Exception e)
            {
                ended = ValueTask.FromException<int>(e);
            }
            finally
            {
                EndReadinessWait(g);
            }

            return false;
        }

        if (!ReferenceEquals(started.Greenlet, g))
        {
            ended = WaitReadableSlowAsync(g, wait); // a pending wait whose source is not the greenlet (none today)
            return false;
        }

        token = started.Version;
        ended = default;
        return true;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> WaitReadableSlowAsync(Greenlet g, ValueTask<bool> wait)
    {
        try
        {
            return Readable(await wait);
        }
        finally
        {
            EndReadinessWait(g);
        }
    }

    private static int Readable(bool ready) => ready ? 0 : throw new SocketTimeoutException();

    /// <summary>The wait is over and its outcome read: the poller stops counting it, the next receive in line may go.</summary>
    private void EndReadinessWait(Greenlet g)
    {
        _readiness.EndWait(g, write: false);
        _readinessWaiter = null;
        _readOp?.WakeTurn();
    }

    private IValueTaskSource<bool> Waiter
        => _readinessWaiter ?? throw new InvalidOperationException("This readiness wait (a zero-byte receive or WaitReadableAsync) was already awaited; a ValueTask may be awaited once.");

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => Waiter.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => Waiter.OnCompleted(continuation, state, token, flags);

    int IValueTaskSource<int>.GetResult(short token)
    {
        Greenlet g = (Greenlet)Waiter;
        Debug.Assert(ReferenceEquals(g, _readinessWaiter));
        try
        {
            return Readable(((IValueTaskSource<bool>)g).GetResult(token));
        }
        finally
        {
            EndReadinessWait(g);
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => Waiter.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => Waiter.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource.GetResult(short token) => ((IValueTaskSource<int>)this).GetResult(token);
}
