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
/// (<see cref="WebSocketUpgrade"/>).</para>
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
    private readonly GreenSocket? _socket; // where the peer's address is read from when asked for (null over TLS, where it is given)
    private EndPoint? _peer;
    private readonly StallGuard _stall;
    private readonly ConnectionInput _input;
    private readonly ResponseWriter _writer;
    private HttpRequest? _request;
    private HttpResponse? _response; // the request's, from the start of its handler to the end of the request
    private Task? _handling; // the request's handler, from its start until FinishOneAsync takes its outcome
    private RequestBodyReader _body = RequestBodyReader.Empty;
    private WebSocket? _webSocket;
    private RequestHead? _head;
    private long _requestStart;
    private RequestTelemetry? _telemetry;

    public HttpConnection(HttpServer server, Stream stream, GreenSocket? socket, EndPoint? peer, HttpServerOptions options)
    {
        _server = server;
        _stream = stream;
        _socket = socket;
        _peer = peer;
        _stall = new StallGuard(server.StallLimits);
        _input = new ConnectionInput(stream, _stall, server.Spares);
        _writer = new ResponseWriter(server, stream, _stall, options);
    }

    /// <summary>True while waiting for the first byte of the next request (a stop may close it at once).</summary>
    public bool Idle { get; private set; }

    public Greenlet? Greenlet { get; private set; }

    /// <summary>The client's address, read from the socket when first asked for (an idle connection that was never asked holds none).</summary>
    public EndPoint? Peer => _peer ??= _socket?.RemoteEndPoint;

    /// <summary>The writer of this connection's responses.</summary>
    public ResponseWriter Writer => _writer;

    /// <summary>
    /// The server's heartbeat: if the client missed the deadline of what the connection waits for
    /// (the head, the body's or the response's rate) at <paramref name="now"/>, cut the wait.
    /// </summary>
    public void CheckDeadline(long now)
    {
        if (_stall.Check(now) && Greenlet is { Ready: false } greenlet)
        {
            greenlet.Kill(new ClientTooSlowException(_stall.Cut));
        }
    }

    /// <summary>
    /// Serves requests until the connection should close. Between requests it waits here, in this
    /// method's own await, for the client's next bytes: nothing else is pending while a connection is
    /// idle (no buffer, no nested state machine, no timer: the keep-alive deadline is a field the
    /// heartbeat checks).
    /// </summary>
    public async Task RunAsync()
    {
        Greenlet = Greenlet.Current;
        try
        {
            while (true)
            {
                ForgetLastRequest();
                if (_input.Count == 0)
                {
                    Idle = true;
                    if (_server.Stopping)
                    {
                        break;
                    }

                    // Wait for readability holding no buffer (a zero-byte read), then rent one: the
                    // head's first read finds the bytes there (or the end of the stream).
                    ValueTask<int> ready = _stream.ReadAsync(Memory<byte>.Empty);
                    if (ready.IsCompleted)
                    {
                        _ = ready.GetAwaiter().GetResult();
                    }
                    else
                    {
                        _stall.StartKeepAlive(); // armed only for a wait: the heartbeat cannot look before it
                        await ready;
                        _stall.EndKeepAlive();
                    }

                    _input.Rent();
                }

                if (!await StartOneAsync().ConfigureAwait(false))
                {
                    break;
                }

                if (_handling is { IsCompleted: false } handling)
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

                _telemetry?.Stop();
            }
        }
        #pragma warning disable GS0004 // IsConnectionError matches socket and WebSocket errors only, and _stall.Caused this connection's own timeout: a kill and any other Timeout go through
        catch (Exception e) when (IsConnectionError(e) || e is ObjectDisposedException || _stall.Caused(e))
        #pragma warning restore GS0004
        {
            // The client went away (reset, closed mid-request or mid-WebSocket) or stalled: nothing to answer.
            _telemetry?.NoteException(e);
        }
        finally
        {
            _telemetry?.Stop();
            _stall.Cancel();
            _webSocket?.Dispose(); // also when the handler failed after accepting it (its keep-alive timer stops)
            _input.Dispose();
            _writer.Dispose();
            _server.Forget(this);
        }
    }

    /// <summary>Answers the upgrade (101) and turns the connection into a WebSocket (RFC 6455).</summary>
    public async ValueTask<WebSocket> AcceptWebSocketAsync(HttpResponse response, string? subProtocol, TimeSpan? keepAliveInterval)
    {
        _webSocket = await WebSocketUpgrade.AcceptAsync(_request!, response, _writer, _input, _stream, subProtocol, keepAliveInterval, _server.Options.MaxWebSocketMessageSize).ConfigureAwait(false);
        ReleaseBuffers(); // the WebSocket reads and writes the stream itself (what followed the handshake was taken)
        _request = null; // nor does the connection hold the request's head while the WebSocket lives (the access log needs its first line only)
        _head = _head is { } h ? h with { Headers = s_noHeaders } : null;
        return _webSocket;
    }

    /// <summary>True while the connection holds an input or output buffer (an idle one holds neither).</summary>
    public bool HoldsBuffers => _input.HoldsBuffer || _writer.HoldsBuffer;

    /// <summary>Between requests: hold no buffer and nothing of the last request (its head, body reader, response) while waiting for the next.</summary>
    private void ForgetLastRequest()
    {
        _request = null;
        _response = null;
        _head = null;
        _body.End();
        _body = RequestBodyReader.Empty;
        ReleaseBuffers();
    }

    /// <summary>Returns the input and output buffers to the pool, unless input is buffered (a pipelined request).</summary>
    private void ReleaseBuffers()
    {
        if (_input.Release())
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// Takes the outcome of the handler (<see cref="_handling"/>, complete) and completes its
    /// response; false when the connection should close.
    /// </summary>
    /// <remarks>Not an async method on the usual path: a handler that succeeded, a response whose write completes at once.</remarks>
    private ValueTask<bool> FinishOneAsync()
    {
        if (_handling is not { IsCompletedSuccessfully: true } || _webSocket is not null || _stall.Cut != ClientWait.None)
        {
            return FinishOneSlowAsync();
        }

        _handling = null;
        ValueTask<bool> complete = _writer.CompleteAsync();
        if (complete.IsCompleted)
        {
            return AfterResponse(_response!, complete.GetAwaiter().GetResult());
        }

        return FinishWriteAsync(complete);
    }

    /// <summary>Waits for the write of a response whose handler succeeded (it did not complete at once: rare).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FinishWriteAsync(ValueTask<bool> complete)
    {
        bool keepAlive = await complete; // with the context, as a stream's operation is
        return await AfterResponse(_response!, keepAlive).ConfigureAwait(false);
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
        return _server.Stopping ? new ValueTask<bool>(false) : _body.SkipRestAsync(MaxDrain);
    }

    /// <summary><see cref="FinishOneAsync"/> for a handler that failed or is not done with the connection, or a client cut off.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FinishOneSlowAsync()
    {
        HttpResponse response = _response!;
        Task handling = _handling!;
        _handling = null;
        try
        {
            await handling;
        }
        catch (HttpBadRequestException e) when (!_writer.HasStarted)
        {
            _server.Log?.Rejected(Peer, e);
            await _writer.ReplaceWithErrorAsync(e).ConfigureAwait(false);
        }
        catch (WebSocketException) when (_webSocket is not null)
        {
            // The client broke the protocol (a bad frame, a message over the limit): the WebSocket
            // has sent the close code that says so, and the client is at fault, not the handler.
        }
        catch (Exception e) when (_stall.Caused(e))
        {
            // The client stalled: a body that stopped arriving (or came too slowly) gets 408 if nothing was sent; otherwise just close.
            if (!_writer.HasStarted && _body.HasUnread)
            {
                RejectReason reason = _stall.Cut == ClientWait.Body ? RejectReason.BodyTooSlow : RejectReason.BodyStalled;
                await SendErrorAsync(HttpRejection.Create(reason)).ConfigureAwait(false);
            }

            return false;
        }
        #pragma warning disable GS0004 // a Timeout escaping the application handler is the handler's failure, answered 500 like any other; the connection's stall timeout is caught by the clause before, and a kill (GreenletExit) goes through
        catch (Exception e) when (e is not GreenletExit && !IsConnectionError(e))
        #pragma warning restore GS0004
        {
            _telemetry?.NoteException(e);
            _server.ReportHandlerError(e);
            if (_writer.HasStarted)
            {
                LogAccess(response.StatusCode);
                return false; // half a response went out: closing is the only honest end
            }

            await _writer.ReplaceWithErrorAsync(HttpStatusCode.InternalServerError, "Internal Server Error").ConfigureAwait(false);
        }

        if (_webSocket is not null)
        {
            _webSocket.Dispose(); // the handler is done with it; the connection ends with the handler
            LogAccess((int)HttpStatusCode.SwitchingProtocols);
            return false;
        }

        if (_stall.Cut != ClientWait.None)
        {
            _writer.KeepAlive = false; // the handler swallowed the cut: this response is the connection's last
        }

        bool keepAlive = await _writer.CompleteAsync().ConfigureAwait(false);
        return await AfterResponse(response, keepAlive).ConfigureAwait(false);
    }

    /// <summary>The access-log entry of the response just sent (for a head that could not be read, its duration is 0).</summary>
    private void LogAccess(int status) => _server.Log?.Access(Peer, _head, status, _writer.BodyBytesSent, _head is null ? 0 : _requestStart);

    /// <summary>The client went away: not the handler's fault, so not reported.</summary>
    private static bool IsConnectionError(Exception e)
        => e is SocketException or IOException { InnerException: SocketException }
            or WebSocketException { WebSocketErrorCode: WebSocketError.ConnectionClosedPrematurely };

    /// <summary>Answers a request that could not be read (400, 408, 413, 414, 431, 501, 505) and ends the connection.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendErrorAsync(HttpBadRequestException rejection)
    {
        _server.Log?.Rejected(Peer, rejection);
        _writer.Begin(new HttpResponse(this), headOnly: false, http10: false, keepAlive: false);
        try
        {
            await _writer.ReplaceWithErrorAsync(rejection).ConfigureAwait(false);
            await _writer.CompleteAsync().ConfigureAwait(false);
            LogAccess(rejection.StatusCode);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // the client is gone already
        }
    }
}
