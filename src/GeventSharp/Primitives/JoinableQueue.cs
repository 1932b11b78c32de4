namespace GeventSharp;

/// <summary>
/// A queue that counts unfinished tasks: each put adds one, each
/// <see cref="TaskDone"/> removes one, and <see cref="JoinAsync(TimeSpan?, CancellationToken)"/>
/// waits until none are left (gevent's <c>gevent.queue.JoinableQueue</c>).
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <remarks>
/// An immediate <see cref="QueueBase{T}.Shutdown"/> discards the queued items and counts them as done,
/// as Python 3.13 does, so joiners are not left waiting for tasks nobody can take.
/// </remarks>
/// <example>
/// <code>
/// var work = new JoinableQueue&lt;string&gt;();
/// Gevent.Spawn(async () =&gt;
/// {
///     await foreach (string url in work) { await FetchAsync(url); work.TaskDone(); }
/// });
/// foreach (string url in urls) await work.PutAsync(url);
/// await work.JoinAsync(); // every url fetched
/// </code>
/// </example>
public sealed class JoinableQueue<T> : QueueBase<T>
{
    private readonly Event _allDone = new();
    private int _unfinished;
    private bool _allDoneIsSet = true;

    /// <summary>Creates a joinable FIFO queue holding at most <paramref name="maxsize"/> items; null is unbounded.</summary>
    public JoinableQueue(int? maxsize = null)
        : base(maxsize)
    {
    }

    /// <summary>Items put and not yet marked done with <see cref="TaskDone"/>.</summary>
    public int Unfinished => _unfinished;

    /// <summary>Marks one item taken from the queue as processed.</summary>
    /// <exception cref="InvalidOperationException">Called more times than items were put (gevent's "task_done() called too many times").</exception>
    public void TaskDone()
    {
        if (_unfinished <= 0)
        {
            throw new InvalidOperationException("task_done() called too many times: every TaskDone must match an item that was put.");
        }

        if (--_unfinished == 0)
        {
            SetAllDone();
        }
    }

    /// <summary>
    /// Waits until every item put has been marked done (at once if none is unfinished), the
    /// timeout elapses, or the token is cancelled.
    /// </summary>
    /// <returns>True if no task is unfinished, false on timeout.</returns>
    public ValueTask<bool> JoinAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => _unfinished == 0 ? new ValueTask<bool>(true) : _allDone.WaitAsync(timeout, cancellationToken);

    /// <summary>Waits until every item is done or <paramref name="seconds"/> elapse.</summary>
    public ValueTask<bool> JoinAsync(double seconds, CancellationToken cancellationToken = default)
        => JoinAsync(Gevent.SecondsToTimeSpan(seconds, nameof(seconds)), cancellationToken);

    private protected override void OnStored()
    {
        _unfinished++;
        if (_allDoneIsSet)
        {
            _allDoneIsSet = false;
            _allDone.Clear();
        }
    }

    private protected override void OnDiscarded(int count)
    {
        _unfinished = Math.Max(0, _unfinished - count);
        if (_unfinished == 0)
        {
            SetAllDone();
        }
    }

    private void SetAllDone()
    {
        _allDoneIsSet = true;
        _allDone.Set();
    }

    private protected override string ExtraState => $", {_unfinished} unfinished";
}
