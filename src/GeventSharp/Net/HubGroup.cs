using System.Net;
using System.Runtime.InteropServices;

namespace GeventSharp.Net;

/// <summary>
/// Runs one server on N hubs, one thread each (one per core by default): the way to use every core
/// in one process, where gevent runs one process per core.
/// </summary>
/// <remarks>
/// <para><b>Listening.</b> Where the kernel balances <c>SO_REUSEPORT</c> listeners (Linux), every
/// hub's server has a listener of its own on the same port and the kernel spreads connections over
/// them. Elsewhere, or with <see cref="HubGroupOptions.ReusePort"/> false, hub 0 alone accepts and
/// hands each connection to the next hub in turn (round-robin); the servers on the hubs are the
/// same. A <see cref="DatagramServer"/> needs <c>SO_REUSEPORT</c> (datagrams cannot be handed over).</para>
/// <para><b>Nothing is shared implicitly.</b> Each hub calls the factory and gets a server of its
/// own, with its own handlers, primitives, monitor, error handler and metrics (tagged with the hub
/// thread's name, <c>GeventSharp hub 2/4</c>). Greenlets on different hubs talk through
/// <see cref="CrossHubQueue{T}"/>, <see cref="Hub.Post(Action)"/> or thread-safe .NET types.</para>
/// <para><b>Stopping.</b> <see cref="StopAsync(TimeSpan?)"/> (from any thread; also SIGTERM and
/// Ctrl+C, see <see cref="HubGroupOptions.StopOnShutdownSignal"/>) stops every hub's server
/// gracefully at once: each refuses new connections and lets its requests in flight finish.</para>
/// <para><b>Failures.</b> The group's hubs serve the same thing, so they stand or fall together:
/// when one hub's server fails to start or its hub ends (its main greenlet fails or the server
/// ends by itself), the others are stopped gracefully, and <see cref="RunAsync"/> fails with a
/// <see cref="HubFailedException"/> per failed hub (a process supervisor then restarts the whole).
/// A handler that throws is not a hub failure: its hub's error handler reports it and serving goes on.</para>
/// </remarks>
/// <example>
/// <code>
/// var hubs = new HubGroup(new HubGroupOptions { Count = 4 });
/// hubs.Run(new IPEndPoint(IPAddress.Loopback, 0), endpoint =&gt; new StreamServer(endpoint, async (sock, peer) =&gt;
/// {
///     await sock.SendAllAsync(System.Text.Encoding.UTF8.GetBytes($"hello from hub {HubGroup.CurrentIndex}\n"));
/// })); // returns after SIGTERM or Ctrl+C, once every hub has drained
/// </code>
/// </example>
public sealed partial class HubGroup
{
    private readonly object _lock = new();
    private readonly HubGroupOptions _options;
    private readonly Member[] _members;
    private readonly TaskCompletionSource<IPEndPoint> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<HubFailedException> _failures = new();
    private int _ran;
    private int _running;
    private int _serving;
    private bool _stopping;
    private TimeSpan? _stopTimeout;
    private IDisposable? _signals;

    /// <summary>Creates a group of <see cref="HubGroupOptions.Count"/> hubs (default: one per core); nothing runs until <see cref="Run"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="HubGroupOptions.Count"/> is less than 1.</exception>
    public HubGroup(HubGroupOptions? options = null)
    {
        _options = options ?? new HubGroupOptions();
        int count = _options.Count ?? Environment.ProcessorCount;
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1, "options.Count");
        ReusePort = count == 1 || (_options.ReusePort ?? OperatingSystem.IsLinux()); // one hub needs no hand-off
        _members = Enumerable.Range(0, count).Select(i => new Member(this, i)).ToArray();
    }

    /// <summary>How many hubs (threads) the group runs.</summary>
    public int Count => _members.Length;

    /// <summary>True when every hub has its own <c>SO_REUSEPORT</c> listener (a group of one hub: a plain listener); false when hub 0 accepts and hands connections over.</summary>
    public bool ReusePort { get; }

    /// <summary>
    /// The index (0 to <see cref="Count"/> - 1) of this thread's hub in its group; null on a thread
    /// that is not a group's hub. Handy in a handler or an error handler to tell hubs apart.
    /// </summary>
    public static int? CurrentIndex => Member.Current?.Index;

    /// <summary>Completes with the address served (the port the system chose, for port 0) once every hub's server has started; fails if one could not start.</summary>
    public Task<IPEndPoint> Started => _started.Task;

    /// <summary>
    /// Runs the servers and blocks until they have all stopped (after <see cref="StopAsync(TimeSpan?)"/>
    /// or a shutdown signal); see <see cref="RunAsync"/>. Call it from a plain thread (<c>Main</c>), not from a hub.
    /// </summary>
    /// <exception cref="HubFailedException">A hub failed (the first failure; the others stopped).</exception>
    /// <exception cref="InvalidOperationException">Called on a hub thread, or the group already ran.</exception>
    public void Run(EndPoint endPoint, Func<IPEndPoint, IGreenServer> createServer)
    {
        if (Hub.Current is not null)
        {
            throw new InvalidOperationException("HubGroup.Run blocks its thread until every hub has stopped; on a hub, await RunAsync from a blocking call instead (Gevent.RunBlockingAsync), or call Run from Main.");
        }

#pragma warning disable GS0001 // Run is for a plain thread (Main), checked above: no hub is blocked
        RunAsync(endPoint, createServer).GetAwaiter().GetResult();
#pragma warning restore GS0001
    }

    /// <summary>
    /// Starts <see cref="Count"/> hub threads; on each, <paramref name="createServer"/> makes the
    /// hub's server for <paramref name="endPoint"/> (hub 0 first: with port 0, the other hubs get the
    /// port it bound), which is started and served until the group stops.
    /// </summary>
    /// <param name="endPoint">Where to listen; every hub serves this address.</param>
    /// <param name="createServer">Called on each hub with the address to listen on; returns that hub's server.
    /// Use the address it is given: with port 0, that is the port chosen for the group.</param>
    /// <returns>A task that completes once every hub has finished; it fails with <see cref="HubFailedException"/>s for the hubs that failed.</returns>
    /// <exception cref="InvalidOperationException">The group already ran (a group runs once).</exception>
    public Task RunAsync(EndPoint endPoint, Func<IPEndPoint, IGreenServer> createServer)
    {
        IPEndPoint requested = StreamServer.IPEndPointOf(endPoint, nameof(endPoint));
        ArgumentNullException.ThrowIfNull(createServer);
        if (Interlocked.Exchange(ref _ran, 1) != 0)
        {
            throw new InvalidOperationException("This HubGroup has already run; a HubGroup runs once.");
        }

        if (_options.StopOnShutdownSignal)
        {
            _signals = ShutdownSignals.Register(() => StopAsync());
        }

        _running = 1;
        StartThread(_members[0], () => RunFirstHubAsync(requested, createServer));
        return _finished.Task;
    }

    /// <summary>
    /// Stops every hub's server gracefully: each stops accepting and gives its work in flight up to
    /// <paramref name="timeout"/> (null: each server's own stop timeout) before ending it. Any thread.
    /// </summary>
    /// <remarks>A second call while the stop drains brings a shorter deadline forward, as on the servers.</remarks>
    /// <returns>A task that completes once every hub has finished (it does not fail; failures surface from <see cref="RunAsync"/>).</returns>
    public Task StopAsync(TimeSpan? timeout = null)
    {
        List<Member> serving;
        lock (_lock)
        {
            _stopping = true;
            _stopTimeout = timeout;
            serving = _members.Where(m => m.Server is not null).ToList();
        }

        foreach (Member member in serving)
        {
            member.PostStop(timeout);
        }

        return _ran == 0 ? Task.CompletedTask : Task.WhenAny(_finished.Task);
    }

    /// <summary>Like <see cref="StopAsync(TimeSpan?)"/>, with the grace period in seconds (gevent's <c>stop(timeout)</c>).</summary>
    public Task StopAsync(double timeoutSeconds) => StopAsync(Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)));

    /// <summary>Like <c>&lt;HubGroup 4 hubs, SO_REUSEPORT, 4 serving&gt;</c>.</summary>
    public override string ToString()
        => $"<HubGroup {Count} hubs, {(ReusePort ? "SO_REUSEPORT" : "hand-off")}, {Volatile.Read(ref _serving)} serving{(_stopping ? ", stopping" : "")}>";

    private void StartThread(Member member, Func<Task> main)
    {
        var thread = new Thread(() => RunHub(member, main))
        {
            Name = $"GeventSharp hub {member.Index + 1}/{Count}",
            IsBackground = _options.StopOnShutdownSignal is false,
        };
        thread.Start();
    }

    private void RunHub(Member member, Func<Task> main)
    {
        Member.Current = member;
        try
        {
            Gevent.Run(main, _options.HubOptions);
        }
        catch (Exception e)
        {
            lock (_lock)
            {
                _failures.Add(new HubFailedException(member.Index, e));
            }
        }
        finally
        {
            Member.Current = null;
            member.CloseFeed();
        }

        bool last = Interlocked.Decrement(ref _running) == 0;
        if (!last)
        {
            if (!Volatile.Read(ref _stopping))
            {
                _ = StopAsync(); // one hub ended (it failed): the group ends
            }

            return;
        }

        _signals?.Dispose();
        List<HubFailedException> failures;
        lock (_lock)
        {
            failures = _failures.OrderBy(f => f.HubIndex).ToList();
        }

        if (failures.Count > 0)
        {
            _started.TrySetException(failures);
            _finished.TrySetException(failures);
        }
        else
        {
            _started.TrySetCanceled();
            _finished.TrySetResult();
        }
    }

    /// <summary>Hub 0: binds (and in hand-off mode accepts for everyone), then starts the other hubs on the bound address.</summary>
    private async Task RunFirstHubAsync(IPEndPoint requested, Func<IPEndPoint, IGreenServer> createServer)
    {
        Member first = _members[0];
        try
        {
            IPEndPoint served = requested;
            if (!ReusePort)
            {
                GreenSocket listener = first.Listener = GreenSocket.Listen(requested, _options.Backlog ?? ListenBacklog.SystemDefault);
                served = (IPEndPoint)listener.LocalEndPoint!;
                foreach (Member m in _members)
                {
                    m.Feed = new CrossHubQueue<System.Net.Sockets.Socket>(_options.HandOffQueueSize);
                }

                Gevent.Spawn(() => AcceptForAllAsync(listener)).Name = "HubGroup.accept";
            }

            IGreenServer server = StartServer(first, served, createServer);
            served = ReusePort ? server.Address : served;
            Interlocked.Add(ref _running, Count - 1);
            for (int i = 1; i < Count; i++)
            {
                Member member = _members[i];
                StartThread(member, () => ServeAsync(member, StartServer(member, served, createServer)));
            }

            await ServeAsync(first, server);
        }
        finally
        {
            first.Listener?.Close();
        }
    }

    private IGreenServer StartServer(Member member, IPEndPoint endPoint, Func<IPEndPoint, IGreenServer> createServer)
    {
        member.EndPoint = endPoint;
        member.Hub = Hub.Current!;
        IGreenServer server = createServer(endPoint) ?? throw new InvalidOperationException("The HubGroup's createServer returned null.");
        server.Start();
        bool stopNow;
        lock (_lock)
        {
            member.Server = server;
            stopNow = _stopping;
        }

        if (stopNow)
        {
            member.PostStop(_stopTimeout); // the stop came while this hub was starting
        }

        if (Interlocked.Increment(ref _serving) == Count)
        {
            _started.TrySetResult(member.Index == 0 ? server.Address : endPoint);
        }

        return server;
    }

    private async Task ServeAsync(Member member, IGreenServer server)
    {
        using IDisposable keepAlive = member.Hub!.KeepAlive(); // the stop is posted from another thread
        await server.ServeForeverAsync();
        if (!Volatile.Read(ref _stopping))
        {
            throw new InvalidOperationException($"{server} stopped on its own, before its HubGroup was stopped (stop the group, not one of its servers).");
        }
    }

    /// <summary>The registrations that turn SIGTERM and SIGINT into a graceful stop (a second signal ends the process).</summary>
    private static class ShutdownSignals
    {
        public static IDisposable? Register(Action stop)
        {
            int signalled = 0;
            void OnSignal(PosixSignalContext context)
            {
                if (Interlocked.Exchange(ref signalled, 1) == 0)
                {
                    context.Cancel = true;
                    stop();
                }
            }

            try
            {
                var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
                var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
                return new Both(term, interrupt);
            }
            catch (PlatformNotSupportedException)
            {
                return null;
            }
        }

        private sealed class Both(IDisposable first, IDisposable second) : IDisposable
        {
            public void Dispose()
            {
                first.Dispose();
                second.Dispose();
            }
        }
    }
}
