using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace GeventSharp.Net;

/// <summary>
/// A zero-byte receive that has to wait (the .NET convention for "wait until readable", which
/// HTTP's idle connections and <see cref="System.Net.Security.SslStream"/> use): the waiting
/// greenlet's own readiness wait is the pending <see cref="ValueTask{TResult}"/>'s source, seen
/// through this socket as an <see cref="IValueTaskSource{TResult}"/> of <see cref="int"/>. No
/// <see cref="EpollOperation"/> is needed for it, so an idle connection has none.
/// </summary>
/// <remarks>
/// The wait ends as the operation's would: readable (0), the socket's timeout
/// (<see cref="SocketTimeoutException"/>), a kill, a cancellation or a close (their exceptions).
/// While it is pending, other receives on the socket wait their turn, as behind a pending operation.
/// </remarks>
internal sealed partial class EpollSocketIo
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

    /// <summary>A zero-byte receive on a socket that is not readable now: waits for the next readiness edge.</summary>
    private ValueTask<int> WaitReadable(CancellationToken cancellationToken)
    {
        Greenlet g = CurrentGreenlet(write: false);
        ValueTask<bool> wait;
        WaitTicket started;
        try
        {
            wait = _readiness.WaitAsync(g, write: false, _owner.TimeoutTicks, cancellationToken, out started);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<int>(e);
        }

        _readinessWaiter = g;
        if (wait.IsCompleted)
        {
            // Ended at once (a pending kill, a cancelled token): the outcome is read now.
            try
            {
                return new ValueTask<int>(Readable(wait.GetAwaiter().GetResult()));
            }
            catch (Exception e)
            {
                return ValueTask.FromException<int>(e);
            }
            finally
            {
                EndReadinessWait(g);
            }
        }

        if (!ReferenceEquals(started.Greenlet, g))
        {
            return WaitReadableSlowAsync(g, wait); // a pending wait whose source is not the greenlet (none today)
        }

        return new ValueTask<int>(this, started.Version);
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
        => _readinessWaiter ?? throw new InvalidOperationException("This zero-byte receive was already awaited; a ValueTask may be awaited once.");

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
}
