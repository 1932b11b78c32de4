using System.Runtime.CompilerServices;

namespace GeventSharp.Http;

/// <summary>What a connection is waiting for from its client, as far as its deadlines go.</summary>
internal enum ClientWait : byte
{
    /// <summary>Nothing timed.</summary>
    None,

    /// <summary>The rest of a request's head (<see cref="HttpServerOptions.RequestHeadersTimeout"/>).</summary>
    Head,

    /// <summary>More of a request body (<see cref="HttpServerOptions.MinRequestBodyDataRate"/>).</summary>
    Body,

    /// <summary>Room for a response write (<see cref="HttpServerOptions.MinResponseDataRate"/>).</summary>
    Response,

    /// <summary>The first byte of the next request (<see cref="HttpServerOptions.KeepAliveTimeout"/>).</summary>
    KeepAlive,
}

/// <summary>
/// Holds a connection's waits on its client to the server's limits: each read of a request body
/// and each write of a response to <see cref="HttpServerOptions.IoTimeout"/> (a <see cref="Timeout"/>),
/// and the wait for a request, the head, the body and the response to their deadline (the keep-alive
/// timeout, the request-headers timeout and the minimum data rates), which the server's
/// once-a-second heartbeat checks (<see cref="Check"/>).
/// </summary>
/// <remarks>
/// <para>One per <see cref="HttpExchange"/>, shared by its input and its response writer, so the request loop can tell
/// a stall or a cut (<see cref="Caused"/>) from any other failure. A deadline is a field written when
/// a wait starts and cleared when it ends: no timer per wait (an idle connection holds none), and
/// nothing but two field writes on a wait that completes at once. A missed deadline is raised in the connection's greenlet by the heartbeat, as a
/// <see cref="ClientTooSlowException"/>; the connection then closes (after a 408 if nothing was sent).</para>
/// <para>The body's rate counts the time the handler spends waiting for body bytes and the bytes it
/// was given: a deadline is <c>max(grace, bytes / rate)</c> of waiting. A write must be taken within
/// the grace period plus its size at the response rate. The awaits here keep the greenlet's
/// context: the stream's operations may complete on another thread (TLS).</para>
/// </remarks>
internal sealed class StallGuard
{
    private readonly StallLimits _limits;
    private Timeout? _timeout;
    private long _due = long.MaxValue;
    private ClientWait _waiting;
    private long _bodyBytes;
    private long _bodyWaited;

    public StallGuard(StallLimits limits) => _limits = limits;

    /// <summary>The deadline missed, once the heartbeat has cut the connection; <see cref="ClientWait.None"/> before.</summary>
    public ClientWait Cut { get; private set; }

    /// <summary>The connection waits for the next request: its first byte must come within the keep-alive timeout.</summary>
    public void StartKeepAlive() => ArmFor(ClientWait.KeepAlive, _limits.KeepAliveTicks);

    /// <summary>The wait for the next request is over (bytes came, the client closed, or the wait failed).</summary>
    public void EndKeepAlive() => DisarmIf(ClientWait.KeepAlive);

    /// <summary>The first byte of a request's head is here: the rest must follow within the request-headers timeout.</summary>
    public void StartHead() => ArmFor(ClientWait.Head, _limits.HeadTicks);

    /// <summary>The head is in (or the wait for it is over).</summary>
    public void EndHead() => DisarmIf(ClientWait.Head);

    /// <summary>A new request's body starts: its rate is counted from nothing.</summary>
    public void StartBody()
    {
        _bodyBytes = 0;
        _bodyWaited = 0;
    }

    /// <summary>The handler was given <paramref name="count"/> bytes of the body.</summary>
    public void NoteBodyBytes(int count) => _bodyBytes += count;

    /// <summary>Waits for a write (not yet complete) of <paramref name="count"/> bytes within the limits.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask GuardAsync(ValueTask pending, int count)
    {
        if (Cut == ClientWait.Response)
        {
            throw new ClientTooSlowException(Cut); // a handler that swallowed the cut writes on: it is over
        }

        if (_limits.ResponseTicksPerByte > 0)
        {
            Arm(ClientWait.Response, _limits.Time.GetTimestamp() + _limits.ResponseGrace + Ticks(count, _limits.ResponseTicksPerByte));
        }

        (_timeout ??= new Timeout(_limits.Limit)).Start();
        try
        {
            await pending;
        }
        finally
        {
            _timeout.Cancel();
            Disarm();
        }
    }

    /// <summary>Waits for a read of the body (not yet complete) within the limits.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> GuardAsync(ValueTask<int> pending)
    {
        if (Cut != ClientWait.None)
        {
            throw new ClientTooSlowException(Cut);
        }

        long start = 0;
        if (_limits.BodyTicksPerByte > 0)
        {
            start = _limits.Time.GetTimestamp();
            Arm(ClientWait.Body, start - _bodyWaited + Math.Max(_limits.BodyGrace, Ticks(_bodyBytes, _limits.BodyTicksPerByte)));
        }

        (_timeout ??= new Timeout(_limits.Limit)).Start();
        try
        {
            return await pending;
        }
        finally
        {
            _timeout.Cancel();
            if (_limits.BodyTicksPerByte > 0)
            {
                _bodyWaited += _limits.Time.GetTimestamp() - start;
                Disarm();
            }
        }
    }

    /// <summary>
    /// The heartbeat's check: true if the current wait's deadline has passed at <paramref name="now"/>
    /// (then <see cref="Cut"/> says which, and the caller raises the cut in the connection). A client
    /// exactly at a rate meets its deadline: only a later check cuts.
    /// </summary>
    public bool Check(long now)
    {
        if (now <= _due)
        {
            return false;
        }

        Cut = _waiting;
        Disarm();
        return true;
    }

    /// <summary>True if <paramref name="e"/> is this guard's doing: the I/O timeout firing, or a cut by a deadline.</summary>
    public bool Caused(Exception e)
        => (_timeout is not null && _timeout.Caused(e))
            || (Cut != ClientWait.None && e is ClientTooSlowException or OperationCanceledException);

    /// <summary>Starts afresh for a connection that gets a request (the guard is passed on between connections with its <see cref="HttpExchange"/>).</summary>
    public void Reset()
    {
        Cut = ClientWait.None;
        _bodyBytes = 0;
        _bodyWaited = 0;
        Disarm();
    }

    /// <summary>Stops the timer when the connection ends.</summary>
    public void Cancel()
    {
        _timeout?.Cancel();
        Disarm();
    }

    /// <summary>Arms <paramref name="wait"/>'s deadline <paramref name="ticks"/> from now, unless its limit is off (0).</summary>
    private void ArmFor(ClientWait wait, long ticks)
    {
        if (ticks > 0)
        {
            Arm(wait, _limits.Time.GetTimestamp() + ticks);
        }
    }

    private void DisarmIf(ClientWait wait)
    {
        if (_waiting == wait)
        {
            Disarm();
        }
    }

    private void Arm(ClientWait wait, long due)
    {
        _waiting = wait;
        _due = due;
    }

    private void Disarm()
    {
        _waiting = ClientWait.None;
        _due = long.MaxValue;
    }

    private static long Ticks(long bytes, double ticksPerByte) => (long)Math.Min(bytes * ticksPerByte, long.MaxValue / 4);
}

/// <summary>A server's limits as <see cref="StallGuard"/> uses them (in timestamp ticks): one object shared by all its connections.</summary>
internal sealed class StallLimits
{
    public StallLimits(HttpServerOptions options, TimeProvider time)
    {
        Limit = options.IoTimeout;
        Time = time;
        long frequency = time.TimestampFrequency;
        HeadTicks = options.RequestHeadersTimeout is { } head ? ToTicks(head, frequency) : 0;
        KeepAliveTicks = options.KeepAliveTimeout is { } keepAlive ? ToTicks(keepAlive, frequency) : 0;
        (BodyGrace, BodyTicksPerByte) = Rate(options.MinRequestBodyDataRate, frequency);
        (ResponseGrace, ResponseTicksPerByte) = Rate(options.MinResponseDataRate, frequency);
    }

    /// <summary>The I/O timeout of each read of a body and each write of a response.</summary>
    public TimeSpan? Limit { get; }

    public TimeProvider Time { get; }

    public long HeadTicks { get; }

    public long KeepAliveTicks { get; }

    public long BodyGrace { get; }

    public double BodyTicksPerByte { get; }

    public long ResponseGrace { get; }

    public double ResponseTicksPerByte { get; }

    private static long ToTicks(TimeSpan t, long frequency) => (long)Math.Min(t.TotalSeconds * frequency, long.MaxValue / 4);

    private static (long Grace, double TicksPerByte) Rate(MinDataRate? rate, long frequency)
        => rate is null ? (0, 0) : (ToTicks(rate.GracePeriod, frequency), frequency / rate.BytesPerSecond);
}
