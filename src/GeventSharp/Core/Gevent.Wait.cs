using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace GeventSharp;

/// <summary>Waiting on several things at once, killing several greenlets, timeouts around a call.</summary>
public static partial class Gevent
{
    /// <summary>
    /// Waits until every greenlet is dead, or <paramref name="count"/> of them are, or the timeout
    /// elapses; returns the ones that finished, in the order they finished.
    /// </summary>
    /// <param name="greenlets">The greenlets to wait for.</param>
    /// <param name="timeout">The longest to wait; null waits as long as it takes.</param>
    /// <param name="raiseError">If true, the first failure found is rethrown (with its original stack).</param>
    /// <param name="count">Return as soon as this many have finished.</param>
    /// <example><code>IReadOnlyList&lt;Greenlet&gt; done = await Gevent.JoinAllAsync(jobs, TimeSpan.FromSeconds(5));</code></example>
    public static async Task<IReadOnlyList<Greenlet>> JoinAllAsync(
        IEnumerable<Greenlet> greenlets, TimeSpan? timeout = null, bool raiseError = false, int? count = null)
        => await CollectReadyAsync("Gevent.JoinAllAsync", greenlets, timeout, count, raiseError);

    /// <summary>Waits for the greenlets with a timeout in seconds; see <see cref="JoinAllAsync(IEnumerable{Greenlet}, TimeSpan?, bool, int?)"/>.</summary>
    public static Task<IReadOnlyList<Greenlet>> JoinAllAsync(IEnumerable<Greenlet> greenlets, double timeoutSeconds, bool raiseError = false, int? count = null)
        => JoinAllAsync(greenlets, SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), raiseError, count);

    /// <summary>
    /// Waits until <paramref name="count"/> (default: all) of the objects are ready or the timeout
    /// elapses; returns the ready ones in the order they became ready (gevent's <c>wait</c>).
    /// </summary>
    public static async Task<IReadOnlyList<T>> WaitAsync<T>(IEnumerable<T> objects, TimeSpan? timeout = null, int? count = null)
        where T : Waitable
        => await CollectReadyAsync("Gevent.WaitAsync", objects, timeout, count, raiseError: false);

    /// <summary>
    /// The one implementation of <see cref="JoinAllAsync(IEnumerable{Greenlet}, TimeSpan?, bool, int?)"/> and
    /// <see cref="WaitAsync{T}(IEnumerable{T}, TimeSpan?, int?)"/>: what <see cref="WaitEachAsync{T}(IEnumerable{T}, TimeSpan?, int?)"/>
    /// yields, collected into a list without an iterator. One shared callback is linked to each object
    /// (a greenlet keeps it inline, no list of its own); it appends the object to the result and wakes
    /// the caller, which checks whether it has enough. The caller is woken at every arrival, as the
    /// iterator's consumer is, so it resumes at the same place in the ready queue.
    /// </summary>
    /// <remarks>
    /// An array or <see cref="IReadOnlyList{T}"/> is read in place, not copied (8 bytes per object
    /// less); only a lazy sequence is snapshotted. The collector counts the links it made and the ones
    /// that ran, and closes when the wait ends, so a caller that changes its list during the wait cannot
    /// corrupt the result: a link still pending on an object no longer in the list runs into the
    /// closed collector and does nothing (it goes when the object becomes ready).
    /// </remarks>
    private static async Task<List<T>> CollectReadyAsync<T>(string api, IEnumerable<T> objects, TimeSpan? timeout, int? count, bool raiseError)
        where T : Waitable
    {
        ArgumentNullException.ThrowIfNull(objects);
        Greenlet current = Hub.CurrentGreenletOrThrow(api);
        Hub hub = current.Hub;
        IReadOnlyList<T> items = objects as T[] ?? objects as IReadOnlyList<T> ?? objects.ToArray();
        int itemCount = items.Count;
        int target = count is { } c ? Math.Clamp(c, 0, itemCount) : itemCount;
        if (count < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "Count must be zero or positive.");
        }

        long timeoutTicks = hub.TimeoutToTicks(timeout);
        long deadline = timeoutTicks < 0 ? long.MaxValue : hub.Now + timeoutTicks;
        var collector = new ListCollector<T>(api, target);
        List<T> done = collector.Done;
        collector.LinkAll(hub, items);
        try
        {
            int checkedCount = 0;
            while (true)
            {
                for (int end = Math.Min(done.Count, target); raiseError && checkedCount < end; checkedCount++)
                {
                    if (done[checkedCount] is Greenlet { Exception: { } e })
                    {
                        ExceptionDispatchInfo.Capture(e).Throw();
                    }
                }

                if (done.Count >= target)
                {
                    break;
                }

                long remaining = timeoutTicks < 0 ? -1 : deadline - hub.Now;
                if ((timeoutTicks >= 0 && remaining <= 0)
                    || !await current.SuspendOn(collector, null, remaining, default, out collector.Waiter))
                {
                    break;
                }
            }
        }
        finally
        {
            collector.Close(items);
        }

        if (done.Count > target)
        {
            done.RemoveRange(target, done.Count - target);
        }

        return done;
    }

    /// <summary>Collects objects into a list as their link callbacks fire, and wakes the waiting greenlet at each.</summary>
    private sealed class ListCollector<T> : IImmediateLink
        where T : Waitable
    {
        /// <summary>The waiting greenlet's current wait on this collector (empty before the first).</summary>
        public WaitTicket Waiter;

        private readonly string _api;
        private readonly List<T> _done;
        private int _linked; // links made
        private int _arrived; // links that ran while open
        private bool _closed;

        public ListCollector(string api, int capacity)
        {
            _api = api;
            _done = new List<T>(capacity);
            OnReady = Arrived;
        }

        /// <summary>The objects found ready, in the order they became ready.</summary>
        public List<T> Done => _done;

        public Action<Waitable> OnReady { get; }

        public override string ToString() => $"{_api} ({_done.Count} ready)";

        /// <summary>Takes the objects ready now (first, in the order given, without a hub turn) and links to the others.</summary>
        // Once per wait, a loop over every object (docs/benchmarks.md, "Cold start").
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void LinkAll(Hub hub, IReadOnlyList<T> items)
        {
            if (items is T[] array)
            {
                foreach (T item in array)
                {
                    Take(hub, item);
                }
            }
            else
            {
                for (int i = 0; i < items.Count; i++)
                {
                    Take(hub, items[i]);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Take(Hub hub, T item)
        {
            if (item.Ready)
            {
                _done.Add(item);
            }
            else
            {
                _linked++;
                item.LinkOn(hub, OnReady);
            }
        }

        /// <summary>
        /// Ends the wait: later link callbacks do nothing, and the links that have not run are taken
        /// back from <paramref name="items"/> (the objects linked, unless the caller changed its list
        /// meanwhile; then a link it no longer holds stays, closed, until its object is ready).
        /// </summary>
        public void Close(IReadOnlyList<T> items)
        {
            _closed = true;
            int pending = _linked - _arrived;
            for (int i = 0; pending > 0 && i < items.Count; i++)
            {
                if (items[i].Unlink(OnReady))
                {
                    pending--;
                }
            }
        }

        // Once per object waited for (docs/benchmarks.md, "Cold start").
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Arrived(Waitable w)
        {
            if (_closed)
            {
                return;
            }

            _arrived++;
            _done.Add((T)w);
            Waiter.TryWake(true);
        }
    }

    /// <summary>Waits with a timeout in seconds; see <see cref="WaitAsync{T}(IEnumerable{T}, TimeSpan?, int?)"/>.</summary>
    public static Task<IReadOnlyList<T>> WaitAsync<T>(IEnumerable<T> objects, double timeoutSeconds, int? count = null)
        where T : Waitable
        => WaitAsync(objects, SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), count);

    /// <summary>
    /// Yields each object as it becomes ready, until all (or <paramref name="count"/>) have, or the
    /// timeout elapses (gevent's <c>iwait</c>; like .NET's <c>Task.WhenEach</c>). Objects already ready come first, in the order given.
    /// </summary>
    /// <example>
    /// <code>
    /// await foreach (Greenlet g in Gevent.WaitEachAsync(jobs))
    /// {
    ///     Console.WriteLine($"{g} finished");
    /// }
    /// </code>
    /// </example>
    public static async IAsyncEnumerable<T> WaitEachAsync<T>(IEnumerable<T> objects, TimeSpan? timeout = null, int? count = null)
        where T : Waitable
    {
        ArgumentNullException.ThrowIfNull(objects);
        Greenlet current = Hub.CurrentGreenletOrThrow("Gevent.WaitEachAsync");
        Hub hub = current.Hub;
        var items = objects.ToList();
        int target = count is { } c ? Math.Clamp(c, 0, items.Count) : items.Count;
        if (count < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "Count must be zero or positive.");
        }

        long timeoutTicks = hub.TimeoutToTicks(timeout);
        long deadline = timeoutTicks < 0 ? long.MaxValue : hub.Now + timeoutTicks;
        var collector = new ReadyCollector();
        foreach (T item in items)
        {
            if (item.Ready)
            {
                // Ready now: first, in the order given, without a hub turn (so a zero timeout still returns it).
                collector.Arrived.Enqueue(item);
            }
            else
            {
                item.Rawlink(collector.OnReady);
            }
        }

        try
        {
            int yielded = 0;
            while (yielded < target)
            {
                if (collector.Arrived.TryDequeue(out Waitable? w))
                {
                    yielded++;
                    yield return (T)w;
                    continue;
                }

                long remaining = timeoutTicks < 0 ? -1 : deadline - hub.Now;
                if (timeoutTicks >= 0 && remaining <= 0)
                {
                    yield break;
                }

                if (!await current.SuspendOn(collector, null, remaining, default, out collector.Waiter))
                {
                    yield break;
                }
            }
        }
        finally
        {
            foreach (T item in items)
            {
                item.Unlink(collector.OnReady);
            }
        }
    }

    /// <summary>Yields each object as it becomes ready, for at most <paramref name="timeoutSeconds"/>; see <see cref="WaitEachAsync{T}(IEnumerable{T}, TimeSpan?, int?)"/>.</summary>
    public static IAsyncEnumerable<T> WaitEachAsync<T>(IEnumerable<T> objects, double timeoutSeconds, int? count = null)
        where T : Waitable
        => WaitEachAsync(objects, SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), count);

    /// <summary>Collects objects as their link callbacks fire and wakes the waiting greenlet.</summary>
    private sealed class ReadyCollector : IImmediateLink
    {
        /// <summary>The iterating greenlet's current wait on this collector (empty before the first).</summary>
        public WaitTicket Waiter;

        public ReadyCollector()
        {
            OnReady = w =>
            {
                Arrived.Enqueue(w);
                Waiter.TryWake(true);
            };
        }

        public System.Collections.Generic.Queue<Waitable> Arrived { get; } = new();

        public Action<Waitable> OnReady { get; }

        public override string ToString() => $"Gevent.WaitEachAsync ({Arrived.Count} ready, not yet taken)";
    }

    /// <summary>Kills every greenlet (see <see cref="Greenlet.Kill(Exception?)"/>) without waiting.</summary>
    public static void KillAll(IEnumerable<Greenlet> greenlets, Exception? exception = null)
    {
        ArgumentNullException.ThrowIfNull(greenlets);
        foreach (Greenlet g in greenlets.ToList())
        {
            g.Kill(exception);
        }
    }

    /// <summary>Kills every greenlet and waits until all are dead or the timeout elapses; true if all are dead.</summary>
    public static async Task<bool> KillAllAsync(IEnumerable<Greenlet> greenlets, Exception? exception = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(greenlets);
        var list = greenlets.ToList();
        KillAll(list, exception);
        IReadOnlyList<Greenlet> dead = await JoinAllAsync(list, timeout);
        return dead.Count == list.Count;
    }

    /// <summary>Kills every greenlet and waits up to <paramref name="timeoutSeconds"/>; see <see cref="KillAllAsync(IEnumerable{Greenlet}, Exception?, TimeSpan?)"/>.</summary>
    public static Task<bool> KillAllAsync(IEnumerable<Greenlet> greenlets, Exception? exception, double timeoutSeconds)
        => KillAllAsync(greenlets, exception, SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)));

    // ---- with_timeout ----

    /// <summary>
    /// Runs <paramref name="function"/> in the current greenlet with a timeout; throws
    /// <see cref="Timeout"/> if it takes longer (gevent's <c>with_timeout</c>).
    /// </summary>
    /// <remarks>
    /// A function without a result has no value to return instead: for gevent's
    /// <c>with_timeout(s, f, timeout_value=None)</c> use <see cref="Timeout.RunSilentlyAsync(double, Func{Task})"/>,
    /// which returns false on timeout. There is no overload for a synchronous function: it never waits,
    /// so a timeout could never interrupt it.
    /// </remarks>
    [OverloadResolutionPriority(1)] // an async lambda fits Func<Task> and Func<ValueTask>: Task wins
    public static Task WithTimeoutAsync(double seconds, Func<Task> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return WithTimeoutCore(seconds, async () => { await function(); return true; }, hasTimeoutValue: false, timeoutValue: false);
    }

    /// <summary>
    /// Runs a function returning a <see cref="ValueTask"/> — a library wait such as
    /// <c>() =&gt; Gevent.Sleep(10)</c> — with a timeout; see <see cref="WithTimeoutAsync(double, Func{Task})"/>.
    /// </summary>
    /// <example><code>await Gevent.WithTimeoutAsync(0.3, () =&gt; Gevent.Sleep(10)); // throws Timeout after 0.3 s</code></example>
    public static Task WithTimeoutAsync(double seconds, Func<ValueTask> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return WithTimeoutCore(seconds, async () => { await function(); return true; }, hasTimeoutValue: false, timeoutValue: false);
    }

    /// <summary>Runs <paramref name="function"/> with a timeout; throws <see cref="Timeout"/> if it takes longer.</summary>
    [OverloadResolutionPriority(1)]
    public static Task<T> WithTimeoutAsync<T>(double seconds, Func<Task<T>> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return WithTimeoutCore(seconds, function, hasTimeoutValue: false, timeoutValue: default!);
    }

    /// <summary>Runs a function returning a <see cref="ValueTask{T}"/> with a timeout; throws <see cref="Timeout"/> if it takes longer.</summary>
    public static Task<T> WithTimeoutAsync<T>(double seconds, Func<ValueTask<T>> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return WithTimeoutCore(seconds, () => function().AsTask(), hasTimeoutValue: false, timeoutValue: default!);
    }

    /// <summary>
    /// Runs <paramref name="function"/> with a timeout; returns <paramref name="timeoutValue"/>
    /// instead of throwing if it takes longer.
    /// </summary>
    /// <example><code>string page = await Gevent.WithTimeoutAsync(2, FetchAsync, timeoutValue: "(timed out)");</code></example>
    [OverloadResolutionPriority(1)]
    public static Task<T> WithTimeoutAsync<T>(double seconds, Func<Task<T>> function, T timeoutValue)
    {
        ArgumentNullException.ThrowIfNull(function);
        return WithTimeoutCore(seconds, function, hasTimeoutValue: true, timeoutValue);
    }

    /// <summary>
    /// Runs a function returning a <see cref="ValueTask{T}"/> with a timeout; returns
    /// <paramref name="timeoutValue"/> instead of throwing if it takes longer.
    /// </summary>
    public static Task<T> WithTimeoutAsync<T>(double seconds, Func<ValueTask<T>> function, T timeoutValue)
    {
        ArgumentNullException.ThrowIfNull(function);
        return WithTimeoutCore(seconds, () => function().AsTask(), hasTimeoutValue: true, timeoutValue);
    }

    /// <summary>
    /// The one implementation of <c>WithTimeoutAsync</c>: a foreign await cancelled through the greenlet's
    /// token counts as the timeout, which is rethrown or replaced by <paramref name="timeoutValue"/>.
    /// </summary>
    private static async Task<T> WithTimeoutCore<T>(double seconds, Func<Task<T>> function, bool hasTimeoutValue, T timeoutValue)
    {
        var timeout = new Timeout(seconds).Start();
        try
        {
            return await function();
        }
        catch (Exception e) when (timeout.Caused(e))
        {
            if (hasTimeoutValue)
            {
                return timeoutValue;
            }

            throw timeout;
        }
        finally
        {
            timeout.Cancel();
        }
    }

    /// <summary>Runs <paramref name="function"/> with a timeout; see <see cref="WithTimeoutAsync(double, Func{Task})"/>.</summary>
    [OverloadResolutionPriority(1)]
    public static Task WithTimeoutAsync(TimeSpan timeout, Func<Task> function) => WithTimeoutAsync(timeout.TotalSeconds, function);

    /// <summary>Runs a <see cref="ValueTask"/> function with a timeout; see <see cref="WithTimeoutAsync(double, Func{ValueTask})"/>.</summary>
    public static Task WithTimeoutAsync(TimeSpan timeout, Func<ValueTask> function) => WithTimeoutAsync(timeout.TotalSeconds, function);

    /// <summary>Runs <paramref name="function"/> with a timeout; see <see cref="WithTimeoutAsync{T}(double, Func{Task{T}})"/>.</summary>
    [OverloadResolutionPriority(1)]
    public static Task<T> WithTimeoutAsync<T>(TimeSpan timeout, Func<Task<T>> function) => WithTimeoutAsync(timeout.TotalSeconds, function);

    /// <summary>Runs a <see cref="ValueTask{T}"/> function with a timeout; see <see cref="WithTimeoutAsync{T}(double, Func{ValueTask{T}})"/>.</summary>
    public static Task<T> WithTimeoutAsync<T>(TimeSpan timeout, Func<ValueTask<T>> function) => WithTimeoutAsync(timeout.TotalSeconds, function);

    /// <summary>Runs <paramref name="function"/> with a timeout; see <see cref="WithTimeoutAsync{T}(double, Func{Task{T}}, T)"/>.</summary>
    [OverloadResolutionPriority(1)]
    public static Task<T> WithTimeoutAsync<T>(TimeSpan timeout, Func<Task<T>> function, T timeoutValue) => WithTimeoutAsync(timeout.TotalSeconds, function, timeoutValue);

    /// <summary>Runs a <see cref="ValueTask{T}"/> function with a timeout; see <see cref="WithTimeoutAsync{T}(double, Func{ValueTask{T}}, T)"/>.</summary>
    public static Task<T> WithTimeoutAsync<T>(TimeSpan timeout, Func<ValueTask<T>> function, T timeoutValue) => WithTimeoutAsync(timeout.TotalSeconds, function, timeoutValue);
}
