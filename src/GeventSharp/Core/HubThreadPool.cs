using System.Diagnostics;

namespace GeventSharp;

/// <summary>
/// Worker threads for blocking calls (gevent's <c>hub.threadpool</c>): the calling greenlet waits
/// cooperatively while a worker runs the call, then gets its result or its exception.
/// </summary>
/// <remarks>
/// <para>At most <see cref="MaxSize"/> workers run at once; further calls queue (FIFO). Workers
/// start on demand and stop after a few seconds without work.</para>
/// <para>Killing (or timing out) the waiting greenlet does not stop the call — a thread cannot be
/// interrupted safely — but the pool stays healthy: the call finishes on its worker and its result
/// is dropped. While calls are in flight the hub stays alive (it will not report
/// "would block forever" for greenlets waiting on them).</para>
/// </remarks>
/// <example>
/// <code>
/// string text = await Hub.Current!.ThreadPool.RunAsync(() =&gt; File.ReadAllText("big.txt"));
/// // or: string text = await Gevent.RunBlockingAsync(() =&gt; File.ReadAllText("big.txt"));
/// </code>
/// </example>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class HubThreadPool : IDisposable
{
    private static readonly TimeSpan IdleExit = TimeSpan.FromSeconds(5);
    private static readonly Action<object?> s_complete = static s => ((Job)s!).Complete();

    private readonly Hub _hub;
    private readonly object _lock = new();
    private readonly System.Collections.Generic.Queue<Job> _queue = new();
    private int _threads;
    private int _idle;
    private int _inFlight;
    private bool _disposed;

    internal HubThreadPool(Hub hub, int maxSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSize);
        _hub = hub;
        MaxSize = maxSize;
    }

    /// <summary>The most worker threads that run at once.</summary>
    public int MaxSize { get; }

    /// <summary>Worker threads alive now.</summary>
    public int ThreadCount => Volatile.Read(ref _threads);

    /// <summary>Calls submitted and not yet completed (running or queued).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Calls waiting for a worker thread (read by the metrics from any thread).</summary>
    internal int QueueLength
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Runs <paramref name="function"/> on a worker thread; the current greenlet waits for its result.</summary>
    /// <param name="function">The blocking call.</param>
    /// <param name="cancellationToken">Stops the wait (not the call) with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="InvalidOperationException">Not called from a greenlet of this pool's hub.</exception>
    public ValueTask<T> RunAsync<T>(Func<T> function, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(function);
        Greenlet current = Hub.CurrentGreenletOrThrow("HubThreadPool.RunAsync");
        var job = new Job<T>(this, function);
        Submit(job);
        return job.WaitAsync(current, cancellationToken);
    }

    /// <summary>Runs <paramref name="action"/> on a worker thread; the current greenlet waits until it returns.</summary>
    public async ValueTask RunAsync(Action action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        await RunAsync<bool>(
            () =>
            {
                action();
                return true;
            },
            cancellationToken);
    }

    /// <summary>Lets idle workers exit; queued calls still run. Called when the hub finishes.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Like <c>&lt;HubThreadPool 2/10 threads, 3 in flight&gt;</c>.</summary>
    public override string ToString() => $"<HubThreadPool {ThreadCount}/{MaxSize} threads, {InFlight} in flight>";

    private void Submit(Job job)
    {
        _hub.AddKeepAlive();
        Interlocked.Increment(ref _inFlight);
        bool start = false;
        lock (_lock)
        {
            _queue.Enqueue(job);
            if (_idle > 0)
            {
                Monitor.Pulse(_lock);
            }
            else if (_threads < MaxSize)
            {
                _threads++;
                start = true;
            }
        }

        if (start)
        {
            var t = new Thread(WorkerLoop) { IsBackground = true, Name = "GeventSharp hub thread pool" };
            t.Start();
        }
    }

    private void WorkerLoop()
    {
        while (true)
        {
            Job? job;
            lock (_lock)
            {
                while (!_queue.TryDequeue(out job))
                {
                    if (_disposed)
                    {
                        _threads--;
                        return;
                    }

                    _idle++;
                    bool signalled = Monitor.Wait(_lock, IdleExit);
                    _idle--;
                    if (!signalled && _queue.Count == 0)
                    {
                        _threads--;
                        return;
                    }
                }
            }

            job.Execute();
            if (!_hub.TryPostInternal(s_complete, job))
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    /// <summary>One call: run on a worker, completed on the hub.</summary>
    private abstract class Job
    {
        private readonly HubThreadPool _pool;
        private WaitTicket _waiter;

        protected Job(HubThreadPool pool) => _pool = pool;

        protected bool Done { get; private set; }

        public abstract void Execute();

        /// <summary>On the hub: the call returned; wake the waiter if it still waits.</summary>
        public void Complete()
        {
            Done = true;
            Interlocked.Decrement(ref _pool._inFlight);
            _pool._hub.ReleaseKeepAlive();
            _waiter.TryWake(true);
        }

        protected ValueTask<bool> Suspend(Greenlet current, CancellationToken cancellationToken)
        {
            return current.SuspendOn(this, null, -1, cancellationToken, out _waiter);
        }

        public override string ToString() => "a thread pool call";
    }

    private sealed class Job<T> : Job
    {
        private Func<T>? _function;
        private T? _result;
        private Exception? _error;

        public Job(HubThreadPool pool, Func<T> function)
            : base(pool) => _function = function;

        public override void Execute()
        {
            try
            {
                _result = _function!();
            }
            catch (Exception e)
            {
                _error = e;
            }

            _function = null;
        }

        public async ValueTask<T> WaitAsync(Greenlet current, CancellationToken cancellationToken)
        {
            while (!Done)
            {
                await Suspend(current, cancellationToken);
            }

            if (_error is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_error);
            }

            return _result!;
        }
    }
}
