using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using GeventSharp.Net;

namespace GeventSharp.Http;

/// <summary>
/// One client connection of an <see cref="HttpServer"/>: reads requests one after another
/// (keep-alive, pipelining), runs the handler for each and completes its response.
/// </summary>
/// <remarks>
/// <para>The loop only: read a head, start the request, run the handler, complete the response,
/// keep the connection or close it. The work is done by single-purpose pieces: the input buffer
/// (<see cref="ConnectionInput"/>), the head parser (<see cref="HttpRequestParser"/>), the body
/// (<see cref="RequestBodyReader"/>, with <see cref="ChunkedDecoder"/>), the response
/// (<see cref="ResponseWriter"/>, <see cref="ResponseHead"/>) and the upgrade
/// (<see cref="WebSocketUpgrade"/>). The input, the writer, the stall guard and the request's state
/// are an <see cref="HttpExchange"/>, which the connection holds only from its client's next bytes to
/// the end of the response: idle connections pass exchanges on to one another.</para>
/// <para>Awaits of this assembly's own async methods use <c>ConfigureAwait(false)</c>: they
/// complete on the hub thread inside the connection's greenlet (every stream operation they wrap
/// resumes there), so their continuations run inline instead of each taking a trip through the
/// greenlet's synchronization context and the ready queue. Awaits of the stream and of the user's
/// handler keep the context, since those may complete elsewhere. Every method awaited that way must use
/// <see cref="PoolingAsyncValueTaskMethodBuilder"/>: its continuations run inline, whereas a plain
/// <c>async ValueTask</c> that completes asynchronously is a <see cref="Task"/>, and a task refuses
/// to inline a <c>ConfigureAwait(false)</c> continuation under the greenlet's synchronization
/// context: it queues it to the thread pool, and the connection's code would go on off the hub.
/// <c>ConfigureAwaitRuleTests</c> checks every such await in the assembly's sources.</para>
/// </remarks>
internal sealed partial class HttpConnection
{
    private const int MaxDrain = 64 * 1024;

    private static readonly HttpHeaders s_noHeaders = new(0);

    private readonly HttpServer _server;
    private readonly Stream _stream;
    private EndPoint? _peer;
    private HttpExchange? _x; // the request's state, input, writer and guard: held only while serving a request
    private long _idleDue = long.MaxValue; // the keep-alive deadline while idle (without an exchange)
    private bool _idleCut; // the heartbeat cut the idle wait

    public HttpConnection(HttpServer server, Stream stream, EndPoint? peer)
    {
        _server = server;
        _stream = stream;
        _peer = peer;
    }

    /// <summary>True while waiting for the first byte of the next request (a stop may close it at once).</summary>
    public bool Idle { get; private set; }

    public Greenlet? Greenlet { get; private set; }

    /// <summary>The client's address, read from the socket when first asked for (an idle connection that was never asked holds none; over TLS it is given).</summary>
    public EndPoint? Peer => _peer ??= (_stream as GreenStream)?.Socket.RemoteEndPoint;

    /// <summary>The writer of the current request's response.</summary>
    public ResponseWriter Writer => X.Writer;

    /// <summary>The exchange of the request being served (there is one from the first bytes of a request to the end of its response).</summary>
    private HttpExchange X => _x!;

    /// <summary>
    /// The server's heartbeat: if the client missed the deadline of what the connection waits for
    /// (the head, the body's or the response's rate) at <paramref name="now"/>, cut the wait.
    /// </summary>
    public void CheckDeadline(long now)
    {
        ClientWait cut;
        if (_x is { } x)
        {
            if (!x.Stall.Check(now))
            {
                return;
            }

            cut = x.Stall.Cut;
        }
        else
        {
            if (now <= _idleDue)
            {
                return;
            }

            _idleDue = long.MaxValue;
            _idleCut = true;
            cut = ClientWait.KeepAlive;
        }

        if (Greenlet is { Ready: false } greenlet)
        {
            greenlet.Kill(new ClientTooSlowException(cut));
        }
    }

    /// <summary>
    /// Serves requests until the connection should close. Between requests it waits here, in this
    /// method's own await, for the client's next bytes: nothing else is pending while a connection is
    /// idle (no exchange, no buffer, no nested state machine, no timer: the keep-alive deadline is a
    /// field the heartbeat checks).
    /// </summary>
    public async Task RunAsync()
    {
        Greenlet = Greenlet.Current;
        try
        {
            while (true)
            {
                ForgetLastRequest();
                if (_x is null)
                {
                    Idle = true;
                    if (_server.Stopping)
                    {
                        break;
                    }

                    // Wait for readability holding no exchange and no buffer (a zero-byte read), then
                    // take them: the head's first read finds the bytes there (or the end of the stream).
                    ValueTask<int> ready = _stream.ReadAsync(Memory<byte>.Empty);
                    if (ready.IsCompleted)
                    {
                        _ = ready.GetAwaiter().GetResult();
                    }
                    else
                    {
                        // Armed only for a wait: the heartbeat cannot look before it.
                        long keepAlive = _server.StallLimits.KeepAliveTicks;
                        _idleDue = keepAlive > 0 ? _server.StallLimits.Time.GetTimestamp() + keepAlive : long.MaxValue;
                        await ready;
                        _idleDue = long.MaxValue;
                    }

                    _x = _server.Exchanges.Rent(_stream);
                    _x.Input.Rent();
                }

                if (!await StartOneAsync().ConfigureAwait(false))
                {
                    break;
                }

                if (X.Handling is { IsCompleted: false } handling)
                {
                    // The handler runs on (a WebSocket's for hours): wait for it here, in this loop's
                    // own await, so no other state machine stays pending while it runs. Its outcome
                    // is taken (and its exceptions caught) by FinishOneAsync.
                    await handling.ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.SuppressThrowing);
                }

                if (!await FinishOneAsync().ConfigureAwait(false))
                {
                    break;
                }

                X.Telemetry?.Stop();
            }
        }
        #pragma warning disable GS0004 // IsConnectionError matches socket and WebSocket errors only, and Caused this connection's own timeout or cut: a kill and any other Timeout go through
        catch (Exception e) when (IsConnectionError(e) || e is ObjectDisposedException || Caused(e))
        #pragma warning restore GS0004
        {
            // The client went away (reset, closed mid-request or mid-WebSocket) or stalled: nothing to answer.
            _x?.Telemetry?.NoteException(e);
        }
        finally
        {
            _idleDue = long.MaxValue;
            if (_x is { } x)
            {
                _x = null;
                x.Telemetry?.Stop();
                x.WebSocket?.Dispose(); // also when the handler failed after accepting it (its keep-alive timer stops)
                _server.Exchanges.Return(x);
            }

            _server.Forget(this);
        }
    }

    /// <summary>True if <paramref name="e"/> is the connection's own doing: the exchange's I/O timeout, or a cut by a deadline (the keep-alive one while idle included).</summary>
    private bool Caused(Exception e)
        => (_idleCut && e is ClientTooSlowException or OperationCanceledException) || (_x is { } x && x.Stall.Caused(e));

    /// <summary>Answers the upgrade (101) and turns the connection into a WebSocket (RFC 6455).</summary>
    public async ValueTask<WebSocket> AcceptWebSocketAsync(HttpResponse response, string? subProtocol, TimeSpan? keepAliveInterval)
    {
        // A response kept by a handler after its request is over finds no exchange here, or another
        // request's: the writer, which knows its current response only, refuses it.
        HttpExchange x = _x ?? throw new InvalidOperationException("This response is complete: a handler cannot write to it after it has returned.");
        x.WebSocket = await WebSocketUpgrade.AcceptAsync(x.Request!, response, x.Writer, x.Input, _stream, subProtocol, keepAliveInterval, _server.Options.MaxWebSocketMessageSize).ConfigureAwait(false);
        ReleaseBuffers(x); // the WebSocket reads and writes the stream itself (what followed the handshake was taken)
        x.Request = null; // nor does the connection hold the request's head while the WebSocket lives (the access log needs its first line only)
        x.Head = x.Head is { } h ? h with { Headers = s_noHeaders } : null;
        return x.WebSocket;
    }

    /// <summary>True while the connection holds an exchange (with or without buffers: an idle one holds none).</summary>
    public bool HoldsExchange => _x is not null;

    /// <summary>True while the connection holds an input or output buffer (an idle one holds neither).</summary>
    public bool HoldsBuffers => _x is { } x && (x.Input.HoldsBuffer || x.Writer.HoldsBuffer);

    /// <summary>
    /// Between requests: hold nothing of the last request (its head, body reader, response) while
    /// waiting for the next, and give the exchange back unless input is buffered (a pipelined request).
    /// </summary>
    private void ForgetLastRequest()
    {
        if (_x is not { } x)
        {
            return;
        }

        if (x.Input.Count == 0)
        {
            _x = null;
            _server.Exchanges.Return(x); // which forgets the request too (HttpExchange.Unbind)
            return;
        }

        x.Request = null;
        x.Response = null;
        x.Head = null;
        x.Body.End();
        x.Body = RequestBodyReader.Empty;
    }

    /// <summary>Returns the input and output buffers to the pool, unless input is buffered (a pipelined request).</summary>
    private static void ReleaseBuffers(HttpExchange x)
    {
        if (x.Input.Release())
        {
            x.Writer.Release();
        }
    }

    /// <summary>
    /// Takes the outcome of the handler (<see cref="HttpExchange.Handling"/>, complete) and completes its
    /// response; false when the connection should close.
    /// </summary>
    /// <remarks>Not an async method on the usual path: a handler that succeeded, a response whose write completes at once.</remarks>
    private ValueTask<bool> FinishOneAsync()
    {
        HttpExchange x = X;
        if (x.Handling is not { IsCompletedSuccessfully: true } || x.WebSocket is not null || _idleCut || x.Stall.Cut != ClientWait.None)
        {
            return FinishOneSlowAsync();
        }

        x.Handling = null;
        ValueTask<bool> complete = x.Writer.CompleteAsync();
        if (complete.IsCompleted)
        {
            return AfterResponse(x.Response!, complete.GetAwaiter().GetResult());
        }

        return FinishWriteAsync(complete);
    }

    /// <summary>Waits for the write of a response whose handler succeeded (it did not complete at once: rare).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FinishWriteAsync(ValueTask<bool> complete)
    {
        bool keepAlive = await complete; // with the context, as a stream's operation is
        return await AfterResponse(X.Response!, keepAlive).ConfigureAwait(false);
    }

    /// <summary>A response was sent: log it, and go on with the next request unless it was the last (or a body to skip is too long).</summary>
    private ValueTask<bool> AfterResponse(HttpResponse response, bool keepAlive)
    {
        LogAccess(response.StatusCode);
        if (!keepAlive)
        {
            return new ValueTask<bool>(false);
        }

        _server.NoteRequestServed();
        return _server.Stopping ? new ValueTask<bool>(false) : X.Body.SkipRestAsync(MaxDrain);
    }

    /// <summary><see cref="FinishOneAsync"/> for a handler that failed or is not done with the connection, or a client cut off.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FinishOneSlowAsync()
    {
        HttpResponse response = X.Response!;
        Task handling = X.Handling!;
        X.Handling = null;
        try
        {
            await handling;
        }
        catch (HttpBadRequestException e) when (!X.Writer.HasStarted)
        {
            _server.Log?.Rejected(Peer, e);
            await X.Writer.ReplaceWithErrorAsync(e).ConfigureAwait(false);
        }
        catch (WebSocketException) when (X.WebSocket is not null)
        {
            // The client broke the protocol (a bad frame, a message over the limit): the WebSocket
            // has sent the close code that says so, and the client is at fault, not the handler.
        }
        catch (Exception e) when (Caused(e))
        {
            // The client stalled: a body that stopped arriving (or came too slowly) gets 408 if nothing was sent; otherwise just close.
            if (!X.Writer.HasStarted && X.Body.HasUnread)
            {
                RejectReason reason = X.Stall.Cut == ClientWait.Body ? RejectReason.BodyTooSlow : RejectReason.BodyStalled;
                await SendErrorAsync(HttpRejection.Create(reason)).ConfigureAwait(false);
            }

            return false;
        }
        #pragma warning disable GS0004 // a Timeout escaping the application handler is the handler's failure, answered 500 like any other; the connection's stall timeout is caught by the clause before, and a kill (GreenletExit) goes through
        catch (Exception e) when (e is not GreenletExit && !IsConnectionError(e))
        #pragma warning restore GS0004
        {
            X.Telemetry?.NoteException(e);
            _server.ReportHandlerError(e);
            if (X.Writer.HasStarted)
            {
                LogAccess(response.StatusCode);
                return false; // half a response went out: closing is the only honest end
            }

            await X.Writer.ReplaceWithErrorAsync(HttpStatusCode.InternalServerError, "Internal Server Error").ConfigureAwait(false);
        }

        if (X.WebSocket is not null)
        {
            X.WebSocket.Dispose(); // the handler is done with it; the connection ends with the handler
            LogAccess((int)HttpStatusCode.SwitchingProtocols);
            return false;
        }

        if (_idleCut || X.Stall.Cut != ClientWait.None)
        {
            X.Writer.KeepAlive = false; // the handler swallowed the cut: this response is the connection's last
        }

        bool keepAlive = await X.Writer.CompleteAsync().ConfigureAwait(false);
        return await AfterResponse(response, keepAlive).ConfigureAwait(false);
    }

    /// <summary>The access-log entry of the response just sent (for a head that could not be read, its duration is 0).</summary>
    private void LogAccess(int status) => _server.Log?.Access(Peer, X.Head, status, X.Writer.BodyBytesSent, X.Head is null ? 0 : X.RequestStart);

    /// <summary>The client went away: not the handler's fault, so not reported.</summary>
    private static bool IsConnectionError(Exception e)
        => e is SocketException or IOException { InnerException: SocketException }
            or WebSocketException { WebSocketErrorCode: WebSocketError.ConnectionClosedPrematurely };

    /// <summary>Answers a request that could not be read (400, 408, 413, 414, 431, 501, 505) and ends the connection.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendErrorAsync(HttpBadRequestException rejection)
    {
        _server.Log?.Rejected(Peer, rejection);
        X.Writer.Begin(new HttpResponse(this), headOnly: false, http10: false, keepAlive: false);
        try
        {
            await X.Writer.ReplaceWithErrorAsync(rejection).ConfigureAwait(false);
            await X.Writer.CompleteAsync().ConfigureAwait(false);
            LogAccess(rejection.StatusCode);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // the client is gone already
        }
    }
}
