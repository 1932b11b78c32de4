using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace GeventSharp.Net;

/// <summary>
/// A TCP server that handles each connection in its own greenlet (gevent's <c>StreamServer</c>).
/// </summary>
/// <remarks>
/// <para><see cref="Start"/> binds (if given an address) and spawns the accept greenlet;
/// <see cref="ServeForeverAsync"/> starts and waits until the server is stopped;
/// <see cref="StopAsync(TimeSpan?)"/> stops accepting, lets running handlers finish up to a timeout, then
/// kills the rest. The handler's socket is closed when the handler returns.</para>
/// <para><see cref="StreamServerOptions.MaxConnections"/> caps the handlers running at once;
/// while the cap is reached the server does not accept (connections wait in the listen backlog).
/// <see cref="StreamServerOptions.Pool"/> runs the handlers in a <see cref="GeventSharp.Pool"/> or
/// <see cref="Group"/> of yours (gevent's <c>spawn=Pool(n)</c>): a full pool pauses accepting in
/// the same way, and a pool shared with other work caps them all together.</para>
/// <para>Accept errors (EMFILE, ENFILE, ENOBUFS, a connection reset before accept…) never stop the
/// server: it waits (10 ms, doubling up to 1 s) and accepts again, and counts them in
/// <see cref="AcceptErrors"/> (and logged, when the hub has a <see cref="Hub.LoggerFactory"/>). A handler that throws is reported through the hub's error handler
/// like any failed greenlet; the server keeps serving.</para>
/// </remarks>
/// <example>
/// <code>
/// var server = new StreamServer(new IPEndPoint(IPAddress.Loopback, 0), async (sock, peer) =&gt;
/// {
///     byte[] buffer = new byte[4096];
///     int n;
///     while ((n = await sock.ReceiveAsync(buffer)) &gt; 0)
///     {
///         await sock.SendAllAsync(buffer.AsMemory(0, n));
///     }
/// });
/// server.Start();
/// Console.WriteLine($"echo on {server.Address}");
/// await server.ServeForeverAsync();
/// </code>
/// </example>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class StreamServer : IGreenServer, IAsyncDisposable
{
    private static readonly TimeSpan MinDelay = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(1);

    private readonly Func<GreenSocket, Task> _handler;
    private readonly EndPoint? _bindTo;
    private readonly StreamServerOptions _options;

    // Each running handler with its connection, which its link (OnHandlerDone) closes when it ends:
    // no async wrapper per connection waits for the handler to close the socket.
    private readonly Dictionary<Greenlet, GreenSocket> _handlers = new();
    private readonly Action<Waitable> _onHandlerDone;
    private GreenSocket? _listener;
    private CrossHubQueue<System.Net.Sockets.Socket>? _feed;
    private Greenlet? _acceptor;
    private readonly Semaphore? _slots;
    private bool _closing;
    private readonly Event _stopRequested = new();
    private readonly Event _drained = new();
    private readonly Event _stopped = new();
    private Task? _stop;
    private IPEndPoint _address;
    private ILogger? _log;
    private ServerMetrics? _metrics;

    /// <summary>Creates a server that will listen on <paramref name="localEndPoint"/> (port 0: any free port) when started.</summary>
    /// <exception cref="ArgumentException"><paramref name="localEndPoint"/> is not an <see cref="IPEndPoint"/> (resolve a host name first, with <see cref="GreenDns"/>).</exception>
    public StreamServer(EndPoint localEndPoint, Func<GreenSocket, EndPoint, Task> handler, StreamServerOptions? options = null)
        : this(localEndPoint, WithPeer(handler), options)
    {
    }

    /// <summary>
    /// Creates a server whose handler takes the socket alone, and asks it for
    /// <see cref="GreenSocket.RemoteEndPoint"/> if it needs the peer's address (an accepted socket
    /// reads its addresses only when asked, so a server that never needs them holds none).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="localEndPoint"/> is not an <see cref="IPEndPoint"/>.</exception>
    /// <example><code>var server = new StreamServer(new IPEndPoint(IPAddress.Loopback, 0), sock =&gt; EchoAsync(sock));</code></example>
    public StreamServer(EndPoint localEndPoint, Func<GreenSocket, Task> handler, StreamServerOptions? options = null)
        : this(IPEndPointOf(localEndPoint, nameof(localEndPoint)), handler, options)
    {
        _bindTo = localEndPoint;
    }

    /// <summary>Creates a server on an already listening socket (it is closed when the server stops).</summary>
    /// <exception cref="ArgumentException"><paramref name="listener"/> is not bound to an IP address.</exception>
    public StreamServer(GreenSocket listener, Func<GreenSocket, EndPoint, Task> handler, StreamServerOptions? options = null)
        : this(IPEndPointOf(Throw.IfNull(listener).LocalEndPoint, nameof(listener)), WithPeer(handler), options)
    {
        _listener = listener;
    }

    private StreamServer(IPEndPoint address, Func<GreenSocket, Task> handler, StreamServerOptions? options)
    {
        _address = address;
        ArgumentNullException.ThrowIfNull(handler);
        _handler = handler;
        _options = options ?? new StreamServerOptions();
        _onHandlerDone = OnHandlerDone;

        // MaxConnections is a semaphore of handler slots, taken when a handler starts and given back when it ends.
        _slots = _options.MaxConnections is { } max ? new Semaphore(Math.Max(max, 0)) : null;
    }

    /// <summary>
    /// Creates a TLS server: each connection is authenticated with <paramref name="certificate"/>
    /// (through <see cref="SslStream"/> over a <see cref="GreenStream"/>) before
    /// <paramref name="handler"/> gets the decrypted stream.
    /// </summary>
    /// <remarks>A failed handshake closes the connection and is not reported as a crash.</remarks>
    /// <example><code>var server = StreamServer.CreateTls(endpoint, X509CertificateLoader.LoadPkcs12FromFile("server.pfx", null), async (tls, peer) =&gt; { ... });</code></example>
    public static StreamServer CreateTls(EndPoint localEndPoint, X509Certificate2 certificate, Func<SslStream, EndPoint, Task> handler, StreamServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(handler);
        return new StreamServer(localEndPoint, (sock, peer) => HandleTlsAsync(sock, peer, certificate, handler), options);
    }

    /// <summary>
    /// Creates a TLS server from PEM files (gevent's <c>certfile=</c>/<c>keyfile=</c>): the
    /// certificate (chain) in <paramref name="certificatePemPath"/>, its private key in
    /// <paramref name="keyPemPath"/> (or in the same file when null).
    /// </summary>
    /// <example><code>var server = StreamServer.CreateTls(endpoint, "server.crt", "server.key", async (tls, peer) =&gt; { ... });</code></example>
    public static StreamServer CreateTls(EndPoint localEndPoint, string certificatePemPath, string? keyPemPath, Func<SslStream, EndPoint, Task> handler, StreamServerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificatePemPath);
        using X509Certificate2 pem = X509Certificate2.CreateFromPemFile(certificatePemPath, keyPemPath);
        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
        X509Certificate2 certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        return CreateTls(localEndPoint, certificate, handler, options);
    }

    /// <summary>True from <see cref="Start"/> until the server is stopped.</summary>
    public bool Started => _acceptor is not null && !Closed;

    /// <summary>True once <see cref="StopAsync(TimeSpan?)"/> has begun (the server does not accept any more).</summary>
    public bool Closed { get; private set; }

    /// <summary>
    /// Where the server listens (gevent's <c>server.address</c>): before <see cref="Start"/> the
    /// address it was given (port 0 stays 0), from <see cref="Start"/> on the bound one, with the port
    /// the system chose; after a stop it still says where the server listened.
    /// </summary>
    public IPEndPoint Address => _address;

    /// <summary>Handlers running now.</summary>
    public int ConnectionCount => _handlers.Count;

    /// <summary>Accept failures survived so far.</summary>
    public int AcceptErrors { get; private set; }

    /// <summary>The last accept failure, if any.</summary>
    public Exception? LastAcceptError { get; private set; }

    /// <summary>How the accept loop takes a connection; tests replace it to inject accept failures (EMFILE).</summary>
    internal Func<GreenSocket, ValueTask<GreenSocket>> AcceptOne { get; set; } = static listener => listener.AcceptAsync();

    /// <summary>Binds (if needed) and starts accepting in a new greenlet; returns at once.</summary>
    /// <exception cref="InvalidOperationException">Already started or stopped.</exception>
    public void Start()
    {
        if (_acceptor is not null || Closed)
        {
            throw new InvalidOperationException("This server was already started; a StreamServer starts once.");
        }

        Hub hub = Hub.CurrentOrThrow("StreamServer.Start");
        HubGroup.Member? member = HubGroup.Member.Current;
        if (_listener is null && member?.TakeFeed(_address) is { } feed)
        {
            _feed = feed; // in a hub group without SO_REUSEPORT: the group's acceptor hands connections over
        }
        else
        {
            _listener ??= GreenSocket.Listen(_bindTo!, _options.Backlog, _options.ReusePort || member?.ReusePortFor(_address) == true);
            _address = (IPEndPoint)_listener.LocalEndPoint!;
        }

        _log = ServerLog.For<StreamServer>();
        _metrics = ServerMetrics.Start(hub, _address, "tcp");
        _acceptor = Gevent.Spawn(AcceptLoopAsync);
        _acceptor.Name = "StreamServer.accept";
        _acceptor.Rawlink(_ => _stopRequested.Set()); // an accept loop that died on its own ends ServeForeverAsync too
    }

    /// <summary>
    /// Starts the server if needed, waits until it is stopped, and returns once the stop has
    /// drained (gevent's <c>serve_forever</c>): handlers still running when the stop began got up to
    /// <see cref="StreamServerOptions.StopTimeout"/> to finish, and those that did not were killed.
    /// </summary>
    /// <remarks>
    /// The stop comes from <see cref="StopAsync(TimeSpan?)"/> (from another greenlet, or a signal:
    /// see <see cref="Gevent.OnShutdownSignal(Func{Task})"/>). When the greenlet running this method
    /// is killed, the server is stopped in the same way before the kill completes.
    /// </remarks>
    /// <example>
    /// <code>
    /// using var signals = Gevent.OnShutdownSignal(() =&gt; server.StopAsync());
    /// await server.ServeForeverAsync(); // returns after SIGTERM once the requests in flight are done
    /// </code>
    /// </example>
    public async Task ServeForeverAsync()
    {
        if (_acceptor is null && !Closed)
        {
            Start();
        }

        try
        {
            await _stopRequested.WaitAsync();
        }
        finally
        {
            if (_stop is null)
            {
                _ = BeginStop(_options.StopTimeout);
            }

            // Shielded: when this greenlet is being killed, the kill stands at every wait, and this
            // one must still last until the drain is over (gevent's serve_forever waits for stop()).
            using (Gevent.Shield())
            {
                await _stopped.WaitAsync();
            }
        }
    }

    /// <summary>Like <see cref="StopAsync(TimeSpan?)"/>, with the grace period in seconds (gevent's <c>stop(timeout)</c>).</summary>
    /// <param name="timeoutSeconds">How long running handlers get before they are killed, in seconds.</param>
    public Task StopAsync(double timeoutSeconds) => StopAsync(Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)));

    /// <summary>
    /// Stops accepting and closes the listener (new connections are refused), waits up to
    /// <paramref name="timeout"/> (default <see cref="StreamServerOptions.StopTimeout"/>, 1 s as
    /// gevent's <c>stop_timeout</c>) for running handlers, then kills the rest, reports them, and
    /// waits for them (gevent's <c>stop(timeout)</c>).
    /// </summary>
    /// <remarks>
    /// Calling it again while a stop drains returns the same stop; a given
    /// <paramref name="timeout"/> shorter than what is left brings the deadline forward (a host whose own shutdown time runs
    /// out). The stop runs in a greenlet of its own, so killing a caller does not cut it short.
    /// Handlers killed at the deadline are counted in <see cref="HandlersKilledAtStop"/> and
    /// reported: logged as a warning when the hub has a <see cref="Hub.LoggerFactory"/>, else on standard error.
    /// </remarks>
    public Task StopAsync(TimeSpan? timeout = null)
    {
        TimeSpan drain = timeout ?? _options.StopTimeout;
        if (drain < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), drain, "The stop timeout must be zero or positive.");
        }

        if (_stop is null)
        {
            return BeginStop(drain);
        }

        return _stop.IsCompleted || timeout is null ? _stop : BringDeadlineForwardAsync(drain);
    }

    /// <summary>Handlers that were still running at the stop's deadline and were killed.</summary>
    public int HandlersKilledAtStop { get; private set; }

    /// <summary>Same as <see cref="StopAsync(TimeSpan?)"/> with the default timeout.</summary>
    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>Like <c>&lt;StreamServer 127.0.0.1:5000 3 connections&gt;</c>.</summary>
    public override string ToString()
        => $"<StreamServer {Address} {(Closed ? "closed" : Started ? "serving" : "not started")}, {_handlers.Count} connection(s)>";

    /// <summary>
    /// The IP endpoint a server listens on or was given; anything else (a host name's
    /// <see cref="DnsEndPoint"/>, a Unix socket) cannot be bound by these servers.
    /// </summary>
    internal static IPEndPoint IPEndPointOf(EndPoint? endPoint, string paramName)
    {
        ArgumentNullException.ThrowIfNull(endPoint, paramName);
        return endPoint as IPEndPoint
            ?? throw new ArgumentException($"A server listens on an IPEndPoint, not {endPoint.GetType().Name} {endPoint} (resolve a host name first: GreenDns.GetHostAddressesAsync).", paramName);
    }

    /// <summary>The public handler, given the peer's address (read from the socket when the handler starts).</summary>
    private static Func<GreenSocket, Task> WithPeer(Func<GreenSocket, EndPoint, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return client => handler(client, client.RemoteEndPoint ?? new IPEndPoint(IPAddress.None, 0));
    }

    /// <summary>The first stop: closes the listener at once, then drains in a greenlet of its own.</summary>
    private Task BeginStop(TimeSpan drain)
    {
        Closed = true;
        _closing = true;
        _listener?.Close(); // at once: a connection attempted after StopAsync returns its task is refused
        _stopRequested.Set();
        _stop = RunStopAsync(drain);
        return _stop;
    }

    private Task RunStopAsync(TimeSpan drain)
    {
        var stopper = new Greenlet(() => DrainAsync(drain)) { Name = "StreamServer.stop" };
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stopper.Rawlink(_ =>
        {
            _metrics?.Stop();
            _stopped.Set();
            done.TrySetResult();
        });
        stopper.Start();
        return done.Task;
    }

    private async Task DrainAsync(TimeSpan drain)
    {
        if (_acceptor is not null)
        {
            _acceptor.Kill();
            await _acceptor.JoinAsync();
        }

        if (_handlers.Count > 0)
        {
            await _drained.WaitAsync(drain);
        }

        if (_handlers.Count > 0)
        {
            List<Greenlet> late = _handlers.Keys.ToList();
            HandlersKilledAtStop = late.Count;
            if (_log is { } log)
            {
                ServerLog.HandlersKilledAtStop(log, ToString(), late.Count, drain.TotalSeconds);
            }
            else
            {
                Console.Error.WriteLine($"{this}: {late.Count} handler(s) still running {drain.TotalSeconds:0.###} s after the stop began were killed");
            }

            await Gevent.KillAllAsync(late, timeout: TimeSpan.FromSeconds(1));
        }
    }

    private async Task BringDeadlineForwardAsync(TimeSpan drain)
    {
        if (!await _drained.WaitAsync(drain))
        {
            _drained.Set(); // the first stop's wait ends now: the handlers left are killed
        }

        await _stop!;
    }

    private async Task AcceptLoopAsync()
    {
        GreenSocket? listener = _listener;
        TimeSpan delay = MinDelay;
        while (!_closing)
        {
            // Accept only when a handler can run at once: the rest wait in the listen backlog.
            if (_slots is { Locked: true } slots)
            {
                LogAcceptPaused();
                await slots.WaitAsync();
                continue;
            }

            if (_options.Pool is Pool pool && pool.IsFull)
            {
                LogAcceptPaused();
                await pool.WaitAvailableAsync(); // accept only when a handler can run at once
                continue;
            }

            GreenSocket client;
            try
            {
                client = listener is null ? GreenSocket.Adopt(await _feed!.GetAsync()) : await AcceptOne(listener);
                delay = MinDelay;
                client.Metrics = _metrics;
                _metrics?.NoteAccepted();
            }
            catch (Exception e) when ((_closing && e is SocketException or ObjectDisposedException) || e is QueueShutDownException)
            {
                return;
            }
            catch (SocketException e)
            {
                AcceptErrors++;
                LastAcceptError = e;
                if (_log is { } log)
                {
                    ServerLog.AcceptFailed(log, ToString(), e.SocketErrorCode, delay.TotalMilliseconds, e);
                }

                await Gevent.Sleep(delay);
                delay = delay * 2 > MaxDelay ? MaxDelay : delay * 2;
                continue;
            }

            if (_options.Pool is { } group)
            {
                await SpawnInAsync(group, client);
            }
            else
            {
                StartHandler(client);
            }
        }
    }

    private void LogAcceptPaused()
    {
        if (_log is { } log && log.IsEnabled(LogLevel.Debug))
        {
            ServerLog.AcceptPaused(log, ToString(), _handlers.Count);
        }
    }

    private void StartHandler(GreenSocket client) => StartHandler(NewHandler(client), client);

    /// <summary>
    /// The handler's greenlet: its body is the handler itself (the greenlet waits for the task it
    /// returns), and its link closes the socket when it ends, however it ends.
    /// </summary>
    private Greenlet NewHandler(GreenSocket client) => new(new StreamHandlerBody(_handler, client));

    private void StartHandler(Greenlet g, GreenSocket client)
    {
        _slots?.TryAcquire(); // free: only this server's accept loop takes slots, and it saw one free before accepting
        _handlers.Add(g, client);
        g.Rawlink(_onHandlerDone);
        g.Start();
    }

    /// <summary>Starts the handler as a member of the user's group, waiting for a slot if another spawner took the one we saw free.</summary>
    private async ValueTask SpawnInAsync(Group group, GreenSocket client)
    {
        Greenlet g = NewHandler(client);
        try
        {
            await group.AddAsync(g);
        }
        catch
        {
            CloseClient(client); // stopped (killed) while waiting for a slot: the connection is dropped, not leaked
            throw;
        }

        StartHandler(g, client);
    }

    /// <summary>A handler has ended (returned, thrown or been killed): closes its connection and frees its slot.</summary>
    private void OnHandlerDone(Waitable w)
    {
        if (_handlers.Remove((Greenlet)w, out GreenSocket? client))
        {
            CloseClient(client);
        }

        _slots?.Release();
        if (_closing && _handlers.Count == 0)
        {
            _drained.Set();
        }
    }

    private void CloseClient(GreenSocket client)
    {
        client.Close();
        _metrics?.NoteClosed();
    }

    private static async Task HandleTlsAsync(GreenSocket sock, EndPoint peer, X509Certificate2 certificate, Func<SslStream, EndPoint, Task> handler)
    {
        await using var tls = new SslStream(sock.GetStream(ownsSocket: true));
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, Greenlet.Current!.CancellationToken);
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or SocketException)
        {
            sock.Metrics?.NoteRejected();
            return; // a client that fails the handshake is the client's problem, not a server crash
        }

        await handler(tls, peer);
    }
}
