namespace AsyncBaseline;

/// <summary>
/// A minimal single-threaded SynchronizationContext: every Post goes into one
/// queue that <see cref="Run"/> drains on the calling thread. While it is
/// current, <c>await Task.Yield()</c>, awaits of tasks completed with
/// RunContinuationsAsynchronously and channel reads all resume on this one
/// thread, which makes it the .NET analogue of a single-threaded hub.
/// </summary>
internal sealed class SingleThreadContext : SynchronizationContext
{
    private readonly object _gate = new();
    private Queue<(SendOrPostCallback Callback, object? State)> _incoming = new();
    private Queue<(SendOrPostCallback Callback, object? State)> _draining = new();
    private bool _completed;

    public override void Post(SendOrPostCallback d, object? state)
    {
        lock (_gate)
        {
            _incoming.Enqueue((d, state));
            if (_incoming.Count == 1)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("Send is not supported on the single-threaded context.");

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Runs <paramref name="entry"/> and pumps the queue until its task completes.</summary>
    public static T Run<T>(Func<Task<T>> entry)
    {
        var previous = Current;
        var ctx = new SingleThreadContext();
        SetSynchronizationContext(ctx);
        try
        {
            Task<T> task = entry();
            task.ContinueWith(
                static (_, s) => ((SingleThreadContext)s!).Complete(),
                ctx,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            ctx.Pump();
            return task.GetAwaiter().GetResult();
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }

    private void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            Monitor.Pulse(_gate);
        }
    }

    private void Pump()
    {
        while (true)
        {
            lock (_gate)
            {
                while (_incoming.Count == 0 && !_completed)
                {
                    Monitor.Wait(_gate);
                }
                if (_incoming.Count == 0)
                {
                    return;
                }
                // Swap queues so callbacks run without holding the lock.
                (_incoming, _draining) = (_draining, _incoming);
            }
            while (_draining.TryDequeue(out var item))
            {
                item.Callback(item.State);
            }
        }
    }
}
