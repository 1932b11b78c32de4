using System.Diagnostics;
using System.Net;
using GeventSharp.Net;

namespace GeventSharp.Http;

/// <summary>
/// An HTTP/1.1 server on the hub (gevent's <c>pywsgi.WSGIServer</c>): each connection is served
/// by its own greenlet, request after request.
/// </summary>
/// <remarks>
/// <para>The handler gets the request and a response to fill; when it returns the response is
/// complete. Everything it awaits is cooperative, so a handler may wait on queues, events,
/// sleeps or other sockets (a long poll) without holding up other connections.</para>
/// <para>HTTP/1.1 keep-alive and pipelining, chunked request and response bodies,
/// <c>Expect: 100-continue</c>, HEAD, and HTTP/1.0 clients are handled by the server. Malformed
/// or oversized requests are answered (400, 408, 413, 414, 431, 501, 505) with a sentence saying what
/// was wrong, and the connection is closed. A handler that throws gets a 500 (if nothing was
/// sent yet) and its exception is reported through the hub's error handler; the server keeps
/// serving. Limits are in <see cref="HttpServerOptions"/>.</para>
/// <para>With a <see cref="Hub.LoggerFactory"/> on its hub the server logs every refused request
/// with its reason, and one access-log entry per response (<see cref="HttpServerOptions.AccessLog"/>);
/// see docs/logging.md.</para>
/// <para><see cref="StopAsync(TimeSpan?)"/> stops accepting, closes idle keep-alive connections at once,
/// lets requests in progress finish up to the timeout, then kills them.</para>
/// </remarks>
/// <example>
/// <code>
/// var server = new HttpServer(new IPEndPoint(IPAddress.Loopback, 8000), async (request, response) =&gt;
/// {
///     response.ContentType = "text/plain; charset=utf-8";
///     await response.WriteAsync($"Hello from {request.Path}\n");
/// });
/// await server.ServeForeverAsync();
/// </code>
/// </example>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class HttpServer : IGreenServer, IAsyncDisposable
{
    private readonly StreamServer _server;
    private readonly HttpServerOptions _options;
    private readonly HashSet<HttpConnection> _connections = new();
    private readonly GeventSharp.Event _stopRequested = new();
    private readonly bool _deadlines;
    private Hub? _hub;
    private Greenlet? _heartbeat;
    private StallLimits? _stallLimits;
    private byte[]? _dateLine; // while the heartbeat runs: the Date line, read from the clock once between two beats
    private SpareExchanges? _exchanges;

    /// <summary>
    /// The name of the <see cref="ActivitySource"/> of the server's requests: <c>GeventSharp.Http</c>.
    /// Each request is an <see cref="ActivityKind.Server"/> activity following OpenTelemetry's HTTP
    /// semantic conventions, the child of the W3C <c>traceparent</c> header when the client sent one,
    /// and <see cref="Activity.Current"/> inside the handler (see <c>docs/tracing.md</c>).
    /// </summary>
    /// <example><code>tracing.AddSource(HttpServer.ActivitySourceName); // OpenTelemetry</code></example>
    public const string ActivitySourceName = "GeventSharp.Http";

    /// <summary>Creates a server that will listen on <paramref name="localEndPoint"/> (port 0: any free port) when started.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public HttpServer(EndPoint localEndPoint, Func<HttpRequest, HttpResponse, Task> handler, HttpServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ArgumentNullException.ThrowIfNull(handler);
        Handler = handler;
        _options = options ?? new HttpServerOptions();
        _options.Validate();
        HeadLimits = new HeadLimits(_options.MaxRequestHeadSize, _options.MaxRequestLineSize, _options.MaxRequestHeaderCount);
        _deadlines = _options.KeepAliveTimeout is not null || _options.RequestHeadersTimeout is not null || _options.MinRequestBodyDataRate is not null || _options.MinResponseDataRate is not null;
        _server = _options.Certificate is { } certificate
            ? StreamServer.CreateTls(localEndPoint, certificate, (tls, peer) => ServeAsync(tls, peer), _options.Server)
            : new StreamServer(localEndPoint, sock => ServeAsync(sock.GetStream(ownsSocket: false), null), _options.Server);
    }

    /// <summary>True once started and until stopped.</summary>
    public bool Started => _server.Started;

    /// <summary>True once stopped.</summary>
    public bool Closed => _server.Closed;

    /// <summary>Connections whose requests were still running at the stop's deadline and were killed.</summary>
    public int HandlersKilledAtStop => _server.HandlersKilledAtStop;

    /// <summary>
    /// Where it listens, as <see cref="StreamServer.Address"/>: the address it was given before
    /// <see cref="Start"/>, the bound one (the real port when given port 0) from then on.
    /// </summary>
    public IPEndPoint Address => _server.Address;

    /// <summary>Open connections.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Open connections holding an input or output buffer (idle ones hold none); a test seam.</summary>
    internal int ConnectionsHoldingBuffers => _connections.Count(c => c.HoldsBuffers);

    /// <summary>Requests answered so far.</summary>
    public long RequestCount { get; private set; }

    internal Func<HttpRequest, HttpResponse, Task> Handler { get; }

    internal bool Stopping { get; private set; }

    internal Hub Hub => _hub ?? Hub.CurrentOrThrow("HttpServer");

    /// <summary>The spare input and response buffers the server's connections pass on to one another.</summary>
    internal SpareBuffers Spares { get; } = new();

    /// <summary>The exchanges (input, response writer, stall guard, request state) the server's connections pass on to one another between requests.</summary>
    internal SpareExchanges Exchanges => _exchanges ??= new SpareExchanges(this, _options);

    /// <summary>Open connections holding an exchange (idle ones hold none); a test seam.</summary>
    internal int ConnectionsHoldingExchanges => _connections.Count(c => c.HoldsExchange);

    /// <summary>The strings of the last request head parsed, for the next one that repeats them (hub thread only).</summary>
    internal RecentStrings RecentStrings { get; } = new();

    /// <summary>The last response head rendered without handler fields, copied by responses that repeat it (<see cref="ResponseWriter"/>).</summary>
    internal RecentResponseHead RecentResponseHead { get; } = new();

    /// <summary>The options (validated), which every connection reads.</summary>
    internal HttpServerOptions Options => _options;

    /// <summary>The limits every request head is held to (from the options).</summary>
    internal HeadLimits HeadLimits { get; }

    /// <summary>The limits every connection's <see cref="StallGuard"/> shares (made on the first connection: they need the hub's clock).</summary>
    internal StallLimits StallLimits => _stallLimits ??= new StallLimits(_options, Hub.TimeProvider);

    /// <summary>The server's loggers; null when its hub has no logger factory.</summary>
    internal HttpServerLog? Log { get; private set; }

    /// <summary>Binds and starts accepting in a new greenlet; returns at once.</summary>
    /// <exception cref="InvalidOperationException">Already started or stopped.</exception>
    public void Start()
    {
        _hub = Hub.CurrentOrThrow("HttpServer.Start");
        Log = HttpServerLog.Create(_hub, _options);
        _server.Start();
    }

    /// <summary>
    /// Starts the server if needed, waits until it is stopped, and returns once the stop has
    /// drained (gevent's <c>serve_forever</c>): requests in progress when the stop began got up to
    /// <see cref="StreamServerOptions.StopTimeout"/> (in <see cref="HttpServerOptions.Server"/>) to finish.
    /// </summary>
    /// <remarks>The stop comes from <see cref="StopAsync(TimeSpan?)"/> or, through
    /// <see cref="Gevent.OnShutdownSignal(Func{Task})"/>, from SIGTERM or Ctrl+C. When the greenlet
    /// running this method is killed, the server is stopped in the same way first.</remarks>
    /// <example>
    /// <code>
    /// using var signals = Gevent.OnShutdownSignal(() =&gt; server.StopAsync());
    /// await server.ServeForeverAsync(); // after SIGTERM: idle connections close, requests in flight finish
    /// </code>
    /// </example>
    public async Task ServeForeverAsync()
    {
        _hub ??= Hub.CurrentOrThrow("HttpServer.ServeForeverAsync");
        if (!Started && !Closed)
        {
            Log = HttpServerLog.Create(_hub, _options);
            _server.Start();
        }

        try
        {
            await _stopRequested.WaitAsync();
        }
        finally
        {
            _ = BeginStop(null);
            await _server.ServeForeverAsync(); // returns once the stop has drained
        }
    }

    /// <summary>Like <see cref="StopAsync(TimeSpan?)"/>, with the grace period in seconds (gevent's <c>stop(timeout)</c>).</summary>
    /// <param name="timeoutSeconds">How long running handlers get before they are killed, in seconds.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeoutSeconds"/> is negative or NaN.</exception>
    public Task StopAsync(double timeoutSeconds)
    {
        if (double.IsNaN(timeoutSeconds) || timeoutSeconds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(timeoutSeconds), timeoutSeconds, "Seconds must be zero or positive.");
        }

        return StopAsync(timeoutSeconds >= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.MaxValue : TimeSpan.FromSeconds(timeoutSeconds));
    }

    /// <summary>
    /// Stops accepting (new connections are refused), closes idle keep-alive connections, waits up
    /// to <paramref name="timeout"/> (by default <see cref="StreamServerOptions.StopTimeout"/>, 1 s)
    /// for requests in progress (their responses say <c>Connection: close</c>), then kills the
    /// rest (see <see cref="StreamServer.StopAsync(TimeSpan?)"/>).
    /// </summary>
    /// <remarks>A second call while the stop drains joins it; a shorter timeout brings its deadline forward.</remarks>
    public Task StopAsync(TimeSpan? timeout = null) => BeginStop(timeout);

    /// <summary>Same as <see cref="StopAsync(TimeSpan?)"/> with the default timeout.</summary>
    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>Like <c>&lt;HttpServer 127.0.0.1:8000 serving, 3 connection(s), 120 request(s)&gt;</c>.</summary>
    public override string ToString()
        => $"<HttpServer {Address} {(Closed ? "closed" : Started ? "serving" : "not started")}, {ConnectionCount} connection(s), {RequestCount} request(s)>";

    internal void NoteRequestServed() => RequestCount++;

    /// <summary>Starts the stop (or joins the one under way) without waiting in the calling greenlet; the stop's task.</summary>
    private Task BeginStop(TimeSpan? timeout)
    {
        Stopping = true;
        _stopRequested.Set();
        Task stopping = _server.StopAsync(timeout); // closes the listener before it returns
        foreach (HttpConnection c in _connections.ToList())
        {
            if (c.Idle)
            {
                c.Greenlet?.Kill();
            }
        }

        return stopping;
    }

    /// <summary>
    /// The <c>Date</c> line of a response sent now. While the heartbeat runs, the clock is read by the
    /// first response after each beat, not by every response: the date is at most a second behind,
    /// as Kestrel's (whose heartbeat formats it).
    /// </summary>
    internal ReadOnlySpan<byte> DateLine => _heartbeat is null ? HttpDate.Current(Hub) : _dateLine ??= HttpDate.Current(Hub);

    internal void ReportHandlerError(Exception e) => Hub.ReportError(Greenlet.Current, e);

    /// <summary>Serves a new connection (not an async method: the connection's own loop is the only state machine it keeps).</summary>
    private Task ServeAsync(Stream stream, EndPoint? peer)
    {
        var connection = new HttpConnection(this, stream, peer);
        _connections.Add(connection);
        if (_deadlines && _heartbeat is null)
        {
            _dateLine = null;
            _heartbeat = Gevent.Spawn(HeartbeatAsync);
        }

        return connection.RunAsync();
    }

    /// <summary>A connection has ended (called from its loop's finally): the last one stops the heartbeat and returns the spare buffers.</summary>
    internal void Forget(HttpConnection connection)
    {
        _connections.Remove(connection);
        if (_connections.Count == 0)
        {
            Spares.ReturnAll(); // a server without connections holds no buffer
            if (_heartbeat is { } heartbeat)
            {
                _heartbeat = null;
                _dateLine = null;
                heartbeat.Kill();
            }
        }
    }

    /// <summary>
    /// Once a second while there are connections (as Kestrel's heartbeat), cuts those whose client
    /// missed a deadline: the keep-alive timeout, the request-headers timeout, or a minimum data rate.
    /// </summary>
    private async Task HeartbeatAsync()
    {
        TimeProvider time = Hub.TimeProvider;
        while (true)
        {
            await Gevent.Sleep(1);
            _dateLine = null; // the next response reads the clock again
            long now = time.GetTimestamp();
            foreach (HttpConnection c in _connections)
            {
                c.CheckDeadline(now);
            }
        }
    }
}
