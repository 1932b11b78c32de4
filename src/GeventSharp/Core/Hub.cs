using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;

namespace GeventSharp;

/// <summary>
/// The single-threaded event loop that runs greenlets: a FIFO ready queue, timers, a thread-safe
/// inbox and (on Linux) the I/O poller. <see cref="Gevent.Run(Func{Task}, HubOptions?)"/> makes
/// the calling thread a hub.
/// </summary>
/// <remarks>
/// <para>One hub per thread; <see cref="Current"/> is this thread's. Only the hub thread may call
/// hub-only APIs (spawning, waiting, killing); other threads talk to it through <see cref="Post(Action)"/>.</para>
/// <para>The ready queue is FIFO: a spawned greenlet starts only when its spawner yields, and
/// <c>Sleep(0)</c> puts the caller at the back. The hub runs the items queued at the start of a
/// turn, then takes posted work and due timers, so neither can starve the other.</para>
/// </remarks>
/// <example>
/// <code>
/// Gevent.Run(async () =&gt;
/// {
///     Hub hub = Hub.Current!;
///     ThreadPool.QueueUserWorkItem(_ =&gt; hub.Post(() =&gt; Console.WriteLine("on the hub")));
///     await Gevent.Sleep(0.1);
/// });
/// </code>
/// </example>
public sealed partial class Hub
{
    [ThreadStatic]
    private static Hub? t_current;

    internal Greenlet? _current;
    private readonly ReadyQueue _ready = new();
    private readonly TimerHeap _timers = new();
    private readonly ConcurrentQueue<WorkItem> _inbox = new();
    private readonly IHubPoller _poller;
    private readonly TimeProvider _time;
    private readonly IAutoJumpClock? _autoJump;
    private readonly double _ticksPerTimeSpanTick;
    private readonly long _frequency;
    private readonly HashSet<Type> _notErrors = new() { typeof(GreenletExit) };
    private readonly Greenlet.LiveList _live = new();
    private readonly HubSynchronizationContext _sharedContext;
    private int _foreignCount;

    // Items posted to _inbox and not drained yet (transiently off by the posts in flight). Every
    // turn checks it; ConcurrentQueue.IsEmpty walks the queue's segments, this is one read.
    private int _inboxCount;
    private int _keepAlive;
    private int _droppedAfterClose;
    private volatile bool _closed;
    // The Id of the greenlet whose synchronization context the hub installed on its thread, 0 for
    // none: a number rather than the context, so a switch between greenlets stores no reference
    // (no GC write barrier) to remember it.
    private long _installedContextOwner;
    private WaitList? _idleWaiters;

    private Hub(HubOptions? options)
    {
        Thread = Thread.CurrentThread;
        _sharedContext = new HubSynchronizationContext(this);
        _time = options?.TimeProvider ?? TimeProvider.System;
        _autoJump = _time as IAutoJumpClock;
        _frequency = _time.TimestampFrequency;
        _ticksPerTimeSpanTick = (double)_frequency / TimeSpan.TicksPerSecond;
        _loggerFactory = options?.LoggerFactory;
        ErrorHandler = options?.ErrorHandler ?? LogOrWriteError;
        _poller = CreatePoller(options?.Poller ?? PollerKind.Auto);
        _threadPoolSize = options?.ThreadPoolSize ?? 10;
        StartMonitor(options is null ? new HubOptions().MonitorThreshold : options.MonitorThreshold, options?.MonitorStackCapture);
        RecordSpawners = (options ?? new HubOptions()).RecordSpawners;
    }

    /// <summary>This thread's hub, or <see langword="null"/> if the thread is not running one.</summary>
    public static Hub? Current => t_current;

    /// <summary>The thread this hub runs on.</summary>
    public Thread Thread { get; }

    /// <summary>The clock the hub reads time from.</summary>
    public TimeProvider TimeProvider => _time;

    /// <summary>True when called on this hub's thread.</summary>
    public bool IsHubThread => ReferenceEquals(t_current, this);

    /// <summary>True if each greenlet records who spawned it (see <see cref="HubOptions.RecordSpawners"/>).</summary>
    public bool RecordSpawners { get; set; }

    /// <summary>The greenlet running now, or <see langword="null"/> in a hub callback.</summary>
    public Greenlet? CurrentGreenlet => _current;

    /// <summary>Greenlets created on this hub that have not died yet.</summary>
    public int LiveCount => _live.Count;

    /// <summary>
    /// Receives every exception that escapes a greenlet (with the greenlet) or a hub callback
    /// (with <see langword="null"/>). The hub keeps running whatever the handler does. By default
    /// it logs through <see cref="LoggerFactory"/> when one is set, else it is
    /// <see cref="DefaultErrorHandler"/>.
    /// </summary>
    public Action<Greenlet?, Exception> ErrorHandler { get; set; }

    /// <summary>
    /// Exception types that are not failures: a greenlet that dies with one (or a subclass) is not
    /// reported. Contains <see cref="GreenletExit"/> by default.
    /// </summary>
    public ICollection<Type> NotErrors => _notErrors;

    /// <summary>Now, in the hub clock's timestamp units.</summary>
    internal long Now => _time.GetTimestamp();

    /// <summary>
    /// The default error handler: writes the exception with its stack, then a line like
    /// <c>2026-11-25T10:00:00Z &lt;Greenlet "fail" #2&gt; failed with Exception</c> (or <c>blocked the hub</c> for a monitor report), to standard error.
    /// </summary>
    public static void DefaultErrorHandler(Greenlet? greenlet, Exception exception)
    {
        var sb = new StringBuilder();
        sb.Append(exception.ToString()).Append('\n');
        DateTimeOffset now = (greenlet?.Hub.TimeProvider ?? TimeProvider.System).GetUtcNow();
        sb.Append(now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)).Append(' ');
        sb.Append(greenlet?.ToString() ?? "<Hub>")
          .Append(exception is HubBlockedException ? " blocked the hub" : " failed with " + exception.GetType().Name).Append("\n\n");
        Console.Out.Flush();
        Console.Error.Write(sb.ToString());
        Console.Error.Flush();
    }

    /// <summary>
    /// Runs <paramref name="callback"/> on the hub thread at its next turn. Callable from any
    /// thread; nothing posted is lost.
    /// </summary>
    /// <exception cref="InvalidOperationException">The hub has finished running.</exception>
    public void Post(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        PostInternal(static s => ((Action)s!)(), callback);
    }

    /// <summary>
    /// Keeps the hub from deciding that its waiting greenlets can never be woken while another
    /// thread may still <see cref="Post(Action)"/> to it; dispose the handle when that thread is done.
    /// </summary>
    public IDisposable KeepAlive()
    {
        Interlocked.Increment(ref _keepAlive);
        return new KeepAliveHandle(this);
    }

    /// <summary>
    /// This thread's hub, for code that only works on one (a server's <c>Start</c>, a client's
    /// connect): unlike <see cref="Current"/>, a thread without a hub gets an exception that names
    /// <paramref name="api"/> and says how to get onto a hub.
    /// </summary>
    /// <param name="api">What was called, as the message should name it, like <c>"MyServer.Start"</c>.</param>
    /// <exception cref="InvalidOperationException">This thread runs no hub.</exception>
    /// <example>
    /// <code>
    /// public void Start() => _hub = Hub.CurrentOrThrow("MyServer.Start");
    /// </code>
    /// </example>
    public static Hub CurrentOrThrow(string api) => t_current ?? throw NotOnAHub(api);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static InvalidOperationException NotOnAHub(string api)
        => new($"{api} must be called on a hub thread, from greenlet code. Start one with Gevent.Run(async () => ...), " +
            "or use hub.Post(...) to reach a hub from another thread." + ThreadPoolHint());

    /// <summary>
    /// On a thread-pool thread, the likely way greenlet code got there: an <c>await</c> of a
    /// <see cref="Task"/> with <c>ConfigureAwait(false)</c>. When such a task completes on the hub,
    /// .NET does not run the continuation inline under the greenlet's synchronization context; it
    /// queues it to the thread pool.
    /// </summary>
    private static string ThreadPoolHint() => Thread.CurrentThread.IsThreadPoolThread
        ? " This is a thread-pool thread: if greenlet code got here, an await of a Task with ConfigureAwait(false) moved it off the hub. " +
          "Inside greenlets, await without ConfigureAwait(false) (GeventSharp's own waits are safe either way)."
        : "";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Greenlet CurrentGreenletOrThrow(string api) => t_current?._current ?? NotInAGreenlet(api);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Greenlet NotInAGreenlet(string api)
    {
        Hub hub = CurrentOrThrow(api);
        return hub._current ?? throw new InvalidOperationException(
            $"{api} blocks, so it must be called from a greenlet, not from a hub callback. Spawn a greenlet (Gevent.Spawn) to wait.");
    }

    internal void VerifyHubThread(string api)
    {
        if (!ReferenceEquals(t_current, this))
        {
            throw new InvalidOperationException(
                $"{api} must be called on the thread of the hub that owns the greenlet. From another thread, use hub.Post(() => ...)." + ThreadPoolHint());
        }
    }

    /// <summary>The error for waiting on or linking to <paramref name="greenlet"/> from a greenlet of another hub.</summary>
    internal static InvalidOperationException OtherHub(string api, Greenlet greenlet)
        => new($"{api}: {greenlet} belongs to the hub on thread {greenlet.Hub.Thread.ManagedThreadId}, and a greenlet waits only on its own hub's greenlets. " +
            "To wait across hubs, hand the result over with hub.Post(...) or a Task (a TaskCompletionSource set from the other hub).");

    internal bool IsNotError(Exception e)
    {
        Type t = e.GetType();
        foreach (Type notError in _notErrors)
        {
            if (notError.IsAssignableFrom(t))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Hands <paramref name="exception"/> to <see cref="ErrorHandler"/> as a failure of
    /// <paramref name="greenlet"/>, for code that catches a failure to keep going rather than let it
    /// end the greenlet: a server whose request handler threw answers 500, serves on, and reports
    /// the exception here. If the handler itself throws, both exceptions go to
    /// the hub's default reporting (the log, else <see cref="DefaultErrorHandler"/>); nothing escapes to the caller.
    /// </summary>
    /// <param name="greenlet">The greenlet the failure belongs to, or null for the hub itself.</param>
    /// <param name="exception">The failure.</param>
    /// <remarks>The handler runs on the calling thread, as it does for reports of the hub monitor.</remarks>
    public void ReportError(Greenlet? greenlet, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        try
        {
            ErrorHandler(greenlet, exception);
        }
        catch (Exception handlerFailure)
        {
            ReportHandlerFailure(greenlet, exception, handlerFailure);
        }
    }

    // ---- time ----

    internal long ToTicks(TimeSpan t)
    {
        if (t <= TimeSpan.Zero)
        {
            return 0;
        }

        double ticks = t.Ticks * _ticksPerTimeSpanTick;
        return ticks >= long.MaxValue / 4 ? long.MaxValue / 4 : (long)Math.Ceiling(ticks);
    }

    /// <summary>Converts an optional timeout to ticks: null or infinite is -1.</summary>
    internal long TimeoutToTicks(TimeSpan? timeout)
    {
        if (timeout is not { } t || t == System.Threading.Timeout.InfiniteTimeSpan)
        {
            return -1;
        }

        if (t < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "A timeout must be zero or positive, or null (wait forever).");
        }

        return ToTicks(t);
    }

    internal void AddTimer(long due, ITimerTarget target, long token) => _timers.Add(due, target, token);

    internal void NoteTimerCancelled() => _timers.NoteCancelled();

    // ---- scheduling ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void EnqueueResume(Greenlet g) => _ready.EnqueueResume(g);

    internal void EnqueueCallback(Greenlet? g, Action<object?> callback, object? state)
        => _ready.Enqueue(new WorkItem(g, callback, state));

    /// <summary>Posts hub-level work from any thread.</summary>
    internal void PostInternal(Action<object?> callback, object? state) => PostWork(new WorkItem(null, callback, state));

    /// <summary>The synchronization context shared by the hub's greenlets whose body is synchronous.</summary>
    internal HubSynchronizationContext SharedContext => _sharedContext;

    /// <summary>A greenlet's synchronization context posts its continuations here.</summary>
    internal void PostForGreenlet(Greenlet g, SendOrPostCallback callback, object? state)
    {
        if (ReferenceEquals(t_current, this))
        {
            g.OnContinuationPosted();
            _ready.Enqueue(new WorkItem(g, callback, state));
            return;
        }

        if (_closed)
        {
            // The hub is gone and so is the greenlet (killed or abandoned when Run returned): there is
            // no thread left that may run its code. Dropping is the only safe choice.
            Interlocked.Increment(ref _droppedAfterClose);
            return;
        }

        try
        {
            PostWork(new WorkItem(g, callback, state));
        }
        catch (InvalidOperationException) when (_closed)
        {
            Interlocked.Increment(ref _droppedAfterClose);
        }
    }

    /// <summary>
    /// <see cref="HubSynchronizationContext"/>'s post: runs <paramref name="callback"/> in a new greenlet
    /// on the hub. False if the hub has finished (the post is dropped and counted, as a greenlet's is).
    /// </summary>
    internal bool PostToNewGreenlet(SendOrPostCallback callback, object? state)
    {
        var work = new PostedWork(callback, state);
        if (ReferenceEquals(t_current, this))
        {
            new Greenlet(this, work).Start();
            return true;
        }

        if (_closed)
        {
            Interlocked.Increment(ref _droppedAfterClose);
            return false;
        }

        try
        {
            PostWork(new WorkItem(null, s_startPostedWork, work));
            return true;
        }
        catch (InvalidOperationException) when (_closed)
        {
            Interlocked.Increment(ref _droppedAfterClose);
            return false;
        }
    }

    private static readonly Action<object?> s_startPostedWork = static work => new Greenlet(t_current!, (PostedWork)work!).Start();

    /// <summary>Continuations of greenlets that arrived after the hub finished (and were dropped).</summary>
    internal int DroppedAfterClose => Volatile.Read(ref _droppedAfterClose);

    /// <summary>Posts hub-level work from any thread; false (nothing posted) if the hub has finished.</summary>
    internal bool TryPostInternal(Action<object?> callback, object? state)
    {
        if (_closed)
        {
            return false;
        }

        try
        {
            PostInternal(callback, state);
            return true;
        }
        catch (InvalidOperationException) when (_closed)
        {
            return false;
        }
        catch (ObjectDisposedException) when (_closed)
        {
            return false;
        }
    }

    private void PostWork(in WorkItem item)
    {
        if (ReferenceEquals(t_current, this))
        {
            _ready.Enqueue(item);
            return;
        }

        if (_closed)
        {
            throw new InvalidOperationException("The hub has finished running; nothing more can be posted to it.");
        }

        _inbox.Enqueue(item);
        Interlocked.Increment(ref _inboxCount);
        _poller.Wake();
    }

    private void DrainInbox()
    {
        int drained = 0;
        while (_inbox.TryDequeue(out WorkItem item))
        {
            _ready.Enqueue(item);
            drained++;
        }

        if (drained > 0)
        {
            Interlocked.Add(ref _inboxCount, -drained);
        }
    }

    // ---- live greenlets ----

    internal void AddLive(Greenlet g) => _live.Add(g);

    internal void RemoveLive(Greenlet g) => _live.Remove(g);

    /// <summary>Every live greenlet, oldest first.</summary>
    public IReadOnlyList<Greenlet> LiveGreenlets() => _live.OldestFirst();

    /// <summary>A greenlet entered a foreign await: the hub waits for it before declaring itself blocked.</summary>
    internal void NoteForeignEntered() => _foreignCount++;

    /// <summary>A greenlet counted by <see cref="NoteForeignEntered"/> left its foreign await (or died).</summary>
    internal void NoteForeignLeft() => _foreignCount--;

    internal WaitList IdleWaiters => _idleWaiters ??= new WaitList();

    private sealed class KeepAliveHandle : IDisposable
    {
        private Hub? _hub;

        public KeepAliveHandle(Hub hub) => _hub = hub;

        public void Dispose()
        {
            Hub? hub = Interlocked.Exchange(ref _hub, null);
            if (hub is not null)
            {
                Interlocked.Decrement(ref hub._keepAlive);
                if (!hub._closed)
                {
                    hub._poller.Wake();
                }
            }
        }
    }
}
