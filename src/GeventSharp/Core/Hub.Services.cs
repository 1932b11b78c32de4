using System.Runtime.InteropServices;
using System.Text;

namespace GeventSharp;

/// <summary>The hub's services beyond scheduling: the I/O poller, the thread pool, the monitor, run info.</summary>
public sealed partial class Hub
{
    private readonly int _threadPoolSize;
    private HubThreadPool? _threadPool;
    private HubMonitor? _monitor;

    /// <summary>The monitor thread, if <see cref="HubOptions.MonitorThreshold"/> started one (tests read its report count).</summary>
    internal HubMonitor? Monitor => _monitor;

    // Odd while the hub runs an item (a greenlet step or a callback), even between items; the monitor
    // reads it, and so does the switch counter of GeventMetrics (items run = counter / 2). A long,
    // so that a hub switching 25 million times a second does not wrap it in a minute; written with
    // Volatile.Write (a plain store on x64) and read with Volatile.Read from other threads.
    internal long _runCounter;

    /// <summary>The poller the hub sleeps in; green sockets register with it.</summary>
    internal IHubPoller Poller => _poller;

    /// <summary>Which poller this hub runs: <see cref="PollerKind.Epoll"/> or <see cref="PollerKind.Portable"/>.</summary>
    public PollerKind PollerKind => _poller is EpollPoller ? PollerKind.Epoll : PollerKind.Portable;

    /// <summary>
    /// The hub's pool of worker threads for blocking calls (gevent's <c>hub.threadpool</c>); created
    /// on first use with <see cref="HubOptions.ThreadPoolSize"/> workers at most.
    /// </summary>
    public HubThreadPool ThreadPool
    {
        get
        {
            VerifyHubThread("Hub.ThreadPool");
            return _threadPool ??= new HubThreadPool(this, _threadPoolSize);
        }
    }

    internal Greenlet? CurrentForMonitor => _current;

    /// <summary>Items posted from other threads that the hub has not taken in yet (the monitor reads it).</summary>
    internal int PendingPosts => Volatile.Read(ref _inboxCount);

    internal bool Closed => _closed;

    internal void AddKeepAlive() => Interlocked.Increment(ref _keepAlive);

    internal void ReleaseKeepAlive()
    {
        Interlocked.Decrement(ref _keepAlive);
        if (!_closed)
        {
            _poller.Wake();
        }
    }

    /// <summary>
    /// Describes every live greenlet: its state, what it waits on and who spawned it (gevent's
    /// <c>format_run_info</c>). Call it on the hub thread.
    /// </summary>
    /// <example><code>Console.WriteLine(Hub.Current!.FormatRunInfo());</code></example>
    public string FormatRunInfo()
    {
        VerifyHubThread("Hub.FormatRunInfo");
        var sb = new StringBuilder();
        sb.Append("Hub on thread ").Append(Thread.ManagedThreadId)
          .Append(" (").Append(Thread.Name ?? "unnamed").Append("), poller ").Append(PollerKind)
          .Append(", ").Append(_live.Count).Append(" live greenlet(s), ")
          .Append(_ready.Count).Append(" ready item(s), ").Append(_timers.Count).Append(" timer(s)\n");
        foreach (Greenlet g in LiveGreenlets())
        {
            sb.Append("  ").Append(g).Append(' ').Append(g.State);
            if (ReferenceEquals(g, _current))
            {
                sb.Append(" (current)");
            }

            object? on = g.WaitingOn;
            if (on is not null)
            {
                sb.Append("; waits on ").Append(Describe(on));
            }

            sb.Append("; spawned by ").Append(g.SpawnerId switch
            {
                0 => "the hub",
                < 0 => "? (HubOptions.RecordSpawners is off)",
                long id => "#" + id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static IHubPoller CreatePoller(PollerKind kind)
    {
        if (kind == PollerKind.Auto)
        {
            string? env = Environment.GetEnvironmentVariable("GEVENTSHARP_POLLER");
            kind = env?.Trim().ToLowerInvariant() switch
            {
                "epoll" => PollerKind.Epoll,
                "portable" => PollerKind.Portable,
                _ => EpollPoller.IsSupported ? PollerKind.Epoll : PollerKind.Portable,
            };
        }

        if (kind == PollerKind.Epoll)
        {
            if (!EpollPoller.IsSupported)
            {
                throw new PlatformNotSupportedException(
                    $"PollerKind.Epoll needs Linux on x64 or arm64 (this is {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}). Use PollerKind.Auto or PollerKind.Portable.");
            }

            return new EpollPoller();
        }

        return new SignalPoller();
    }

    private void StartMonitor(TimeSpan? threshold, Func<Thread, string?>? stackCapture)
    {
        if (threshold is { } t && t > TimeSpan.Zero)
        {
            _monitor = new HubMonitor(this, t, stackCapture, LibC.CurrentOsThreadId());
        }
    }

    /// <summary>Calls queued for <see cref="ThreadPool"/> and not picked up by a worker yet (0 before its first use).</summary>
    internal int ThreadPoolQueueLength => _threadPool?.QueueLength ?? 0;

    private void StopServices()
    {
        _monitor?.Dispose();
        _threadPool?.Dispose();
    }
}
