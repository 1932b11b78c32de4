using System.Runtime.CompilerServices;

namespace GeventSharp;

/// <summary>Mapping work over members: gevent's <c>map</c>, <c>imap</c>, <c>imap_unordered</c>, <c>apply</c>.</summary>
public partial class Group
{
    /// <summary>How many started-but-unread results an <see cref="MapEachAsync{TIn, TOut}(Func{TIn, Task{TOut}}, IEnumerable{TIn}, int?, CancellationToken)"/> holds when no maxsize is given (null: no limit).</summary>
    private protected virtual int? DefaultMapWindow => null;

    /// <summary>
    /// Runs <paramref name="function"/> on every item, each in a member greenlet, and returns the
    /// results in the order of the items (gevent's <c>map</c>). The first failure is rethrown and the
    /// remaining calls are killed.
    /// </summary>
    /// <param name="function">The work for one item.</param>
    /// <param name="items">Read lazily, as for <see cref="MapEachAsync{TIn, TOut}(Func{TIn, Task{TOut}}, IEnumerable{TIn}, int?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Stops the map: the calls still running are killed and <see cref="OperationCanceledException"/> is thrown.</param>
    /// <example><code>IReadOnlyList&lt;int&gt; lengths = await pool.MapAsync(async url =&gt; (await FetchAsync(url)).Length, urls);</code></example>
    public Task<IReadOnlyList<TOut>> MapAsync<TIn, TOut>(Func<TIn, Task<TOut>> function, IEnumerable<TIn> items, CancellationToken cancellationToken = default)
        => MapAsync(function, AsyncSource(items), cancellationToken);

    /// <summary>
    /// Like <see cref="MapAsync{TIn, TOut}(Func{TIn, Task{TOut}}, IEnumerable{TIn}, CancellationToken)"/>, over a source
    /// whose items arrive over time: a <see cref="FifoQueue{T}"/> or <see cref="Channel{T}"/> (read until it
    /// is shut down), or any <see cref="IAsyncEnumerable{T}"/>.
    /// </summary>
    /// <param name="function">The work for one item.</param>
    /// <param name="items">Read lazily by a producer greenlet, as for <see cref="MapEachAsync{TIn, TOut}(Func{TIn, Task{TOut}}, IAsyncEnumerable{TIn}, int?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Stops the map: the calls still running are killed and <see cref="OperationCanceledException"/> is thrown.</param>
    public async Task<IReadOnlyList<TOut>> MapAsync<TIn, TOut>(Func<TIn, Task<TOut>> function, IAsyncEnumerable<TIn> items, CancellationToken cancellationToken = default)
    {
        var results = new List<TOut>();
        await foreach (TOut r in MapEachAsync(function, items, null, cancellationToken))
        {
            results.Add(r);
        }

        return results;
    }

    /// <summary>
    /// Runs <paramref name="function"/> on every item, each in a member greenlet, and yields the
    /// results in the order of the items as they become available (gevent's <c>imap</c>).
    /// </summary>
    /// <param name="function">The work for one item.</param>
    /// <param name="items">Read lazily, by a producer greenlet, as slots free up.</param>
    /// <param name="maxsize">
    /// At most this many calls are started and not yet read (back-pressure: a slow reader stops new
    /// calls). Default: the pool size for a <see cref="Pool"/>, unlimited for a plain group.
    /// </param>
    /// <param name="cancellationToken">Stops the iteration.</param>
    /// <remarks>
    /// A failed call rethrows its exception when the reader reaches it. Ending the iteration early
    /// (break, exception, cancellation) kills the producer and the calls still running, and waits
    /// until they are dead: no call outlives the loop.
    /// </remarks>
    public IAsyncEnumerable<TOut> MapEachAsync<TIn, TOut>(
        Func<TIn, Task<TOut>> function, IEnumerable<TIn> items, int? maxsize = null, CancellationToken cancellationToken = default)
        => MapEachAsync(function, AsyncSource(items), maxsize, cancellationToken);

    /// <summary>
    /// Runs <paramref name="function"/> on every item of a source whose items arrive over time, and
    /// yields the results in the order of the items (gevent's <c>imap</c> over a queue).
    /// </summary>
    /// <param name="function">The work for one item.</param>
    /// <param name="items">
    /// Read by a producer greenlet as items arrive and slots free up: a <see cref="FifoQueue{T}"/> or
    /// <see cref="Channel{T}"/> ends the map when it is shut down (gevent's <c>StopIteration</c>
    /// sentinel put in the queue); any other <see cref="IAsyncEnumerable{T}"/> when it ends.
    /// </param>
    /// <param name="maxsize">At most this many calls started and not yet read (default: the pool size for a <see cref="Pool"/>, unlimited for a plain group).</param>
    /// <param name="cancellationToken">Stops the iteration.</param>
    /// <remarks>As <see cref="MapEachAsync{TIn, TOut}(Func{TIn, Task{TOut}}, IEnumerable{TIn}, int?, CancellationToken)"/>: no call outlives the loop.</remarks>
    /// <example>
    /// <code>
    /// var urls = new FifoQueue&lt;string&gt;();
    /// Gevent.Spawn(async () =&gt; { foreach (string u in Crawl()) { await urls.PutAsync(u); } urls.Shutdown(); });
    /// await foreach (int length in pool.MapEachAsync(FetchLengthAsync, urls))
    /// {
    ///     Console.WriteLine(length); // in the order the urls were put
    /// }
    /// </code>
    /// </example>
    public async IAsyncEnumerable<TOut> MapEachAsync<TIn, TOut>(
        Func<TIn, Task<TOut>> function, IAsyncEnumerable<TIn> items, int? maxsize = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        int? window = MapWindow(function, items, maxsize);

        var started = new FifoQueue<Greenlet<TOut>>();

        // A permit per call started and not yet yielded: taken before the spawn, given back when
        // the reader yields the result, so a slow reader stops new calls.
        var limit = window is { } w ? new Semaphore(w) : null;
        async Task Produce()
        {
            try
            {
                await foreach (TIn item in items)
                {
                    Greenlet<TOut> g = await SpawnWithinWindowAsync(limit, function, item);
                    await started.PutAsync(g, cancellationToken: CancellationToken.None); // unbounded: completes at once
                }
            }
            finally
            {
                started.Shutdown();
            }
        }

        Greenlet producer = Gevent.Spawn(Produce);
        producer.Name = "MapEachAsync producer";
        Greenlet<TOut>? reading = null; // taken from the queue, result not yet yielded
        try
        {
            while (true)
            {
                try
                {
                    reading = await started.GetAsync(null, cancellationToken);
                }
                catch (QueueShutDownException)
                {
                    break;
                }

                await reading.JoinAsync(null, cancellationToken);
                TOut result = await reading;
                reading = null;
                limit?.Release();
                yield return result;
            }

            await producer.GetAsync(cancellationToken: cancellationToken); // an exception from enumerating the items
        }
        finally
        {
            var leftovers = new List<Greenlet> { producer };
            if (reading is not null)
            {
                leftovers.Add(reading);
            }

            while (started.TryGet(out Greenlet<TOut>? g))
            {
                leftovers.Add(g);
            }

            await Gevent.KillAllAsync(leftovers);
        }
    }

    /// <summary>
    /// Like <see cref="MapEachAsync{TIn, TOut}(Func{TIn, Task{TOut}}, IEnumerable{TIn}, int?, CancellationToken)"/>, but yields results in the order the calls finish (gevent's <c>imap_unordered</c>).
    /// </summary>
    /// <param name="function">The work for one item.</param>
    /// <param name="items">Read lazily by a producer greenlet.</param>
    /// <param name="maxsize">At most this many calls started and not yet read (default as for <see cref="MapEachAsync{TIn, TOut}(Func{TIn, Task{TOut}}, IEnumerable{TIn}, int?, CancellationToken)"/>).</param>
    /// <param name="cancellationToken">Stops the iteration.</param>
    public IAsyncEnumerable<TOut> MapEachUnorderedAsync<TIn, TOut>(
        Func<TIn, Task<TOut>> function, IEnumerable<TIn> items, int? maxsize = null, CancellationToken cancellationToken = default)
        => MapEachUnorderedAsync(function, AsyncSource(items), maxsize, cancellationToken);

    /// <summary>
    /// Like <see cref="MapEachAsync{TIn, TOut}(Func{TIn, Task{TOut}}, IAsyncEnumerable{TIn}, int?, CancellationToken)"/>, but yields
    /// results in the order the calls finish (gevent's <c>imap_unordered</c> over a queue).
    /// </summary>
    /// <param name="function">The work for one item.</param>
    /// <param name="items">Read as items arrive; a <see cref="FifoQueue{T}"/> or <see cref="Channel{T}"/> ends the map when shut down.</param>
    /// <param name="maxsize">At most this many calls started and not yet read.</param>
    /// <param name="cancellationToken">Stops the iteration.</param>
    public async IAsyncEnumerable<TOut> MapEachUnorderedAsync<TIn, TOut>(
        Func<TIn, Task<TOut>> function, IAsyncEnumerable<TIn> items, int? maxsize = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        int? window = MapWindow(function, items, maxsize);

        var finished = new FifoQueue<Greenlet<TOut>?>(); // null: the producer is done
        var limit = window is { } w ? new Semaphore(w) : null;
        var running = new HashSet<Greenlet>();
        int spawned = 0;
        void OnFinished(Greenlet g)
        {
            running.Remove(g);
            finished.TryPut((Greenlet<TOut>)g); // unbounded and never shut down: always succeeds
        }

        async Task Produce()
        {
            try
            {
                await foreach (TIn item in items)
                {
                    Greenlet<TOut> g = await SpawnWithinWindowAsync(limit, function, item);
                    spawned++;
                    running.Add(g);
                    g.Link(OnFinished);
                }
            }
            finally
            {
                finished.TryPut(null);
            }
        }

        Greenlet producer = Gevent.Spawn(Produce);
        producer.Name = "MapEachUnorderedAsync producer";
        try
        {
            int read = 0;
            bool producerDone = false;
            while (!producerDone || read < spawned)
            {
                Greenlet<TOut>? g = await finished.GetAsync(null, cancellationToken);
                if (g is null)
                {
                    producerDone = true;
                    continue;
                }

                read++;
                limit?.Release();
                yield return await g;
            }

            await producer.GetAsync(cancellationToken: cancellationToken);
        }
        finally
        {
            var leftovers = new List<Greenlet>(running) { producer };
            await Gevent.KillAllAsync(leftovers);
        }
    }

    /// <summary>
    /// Runs <paramref name="function"/> in a member greenlet and returns its result (gevent's
    /// <c>apply</c>); waits for a slot on a <see cref="Pool"/>. Called from a member of this group,
    /// it runs the function directly, so a full pool cannot deadlock on itself.
    /// </summary>
    public async ValueTask<T> ApplyAsync<T>(Func<Task<T>> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (Greenlet.Current is { } current && Contains(current))
        {
            return await function();
        }

        Greenlet<T> g = await SpawnMemberWaitingAsync(() => Gevent.Spawn(function), null, default);
        return await g;
    }

    /// <summary>Runs <paramref name="function"/> in a member greenlet and waits until it finishes, rethrowing its exception.</summary>
    public async ValueTask ApplyAsync(Func<Task> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (Greenlet.Current is { } current && Contains(current))
        {
            await function();
            return;
        }

        Greenlet g = await SpawnMemberWaitingAsync(() => Gevent.Spawn(function), null, default);
        await g.GetAsync();
    }

    /// <summary>
    /// Starts <paramref name="function"/> and returns its greenlet at once, without waiting even on
    /// a full <see cref="Pool"/> (gevent's <c>apply_async</c>). <paramref name="callback"/>, if given,
    /// receives the result when the call succeeds.
    /// </summary>
    /// <param name="function">The work.</param>
    /// <param name="callback">Runs on the hub after the call succeeded; not if it failed or was killed.</param>
    /// <returns>A greenlet whose result is the call's result (await it, or join it).</returns>
    /// <remarks>
    /// If a slot is free (always, for a plain group), the call runs in a new member, which is
    /// returned. Otherwise the returned greenlet is not a member: it waits for a slot (FIFO with the
    /// other spawners) and runs the call as <see cref="ApplyAsync{T}(Func{Task{T}})"/> does. So
    /// wait on the returned greenlet, not on the group, to be sure the call has run. Killing that
    /// greenlet while it waits for a slot cancels the call; once the call runs in a member, it does not.
    /// </remarks>
    /// <example>
    /// <code>
    /// Greenlet&lt;int&gt; g = pool.ApplyInBackground(() =&gt; CountAsync(url), n =&gt; Console.WriteLine(n));
    /// // ... do other work; the pool being full does not block here ...
    /// int n = await g;
    /// </code>
    /// </example>
    public Greenlet<T> ApplyInBackground<T>(Func<Task<T>> function, Action<T>? callback = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        Greenlet<T> g = TryReserveSlot()
            ? SpawnIntoReservedSlot(() => Gevent.Spawn(function))
            : Gevent.Spawn(() => ApplyAsync(function).AsTask());
        if (callback is not null)
        {
            g.LinkValue(done => callback(((Greenlet<T>)done).Value!));
        }

        return g;
    }

    /// <summary>
    /// Starts <paramref name="function"/> and returns its greenlet at once, without waiting even on
    /// a full <see cref="Pool"/> (gevent's <c>apply_async</c>); see <see cref="ApplyInBackground{T}(Func{Task{T}}, Action{T}?)"/>.
    /// </summary>
    /// <param name="function">The work.</param>
    /// <param name="callback">Runs on the hub after the call succeeded; not if it failed or was killed.</param>
    public Greenlet ApplyInBackground(Func<Task> function, Action? callback = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        Greenlet g = TryReserveSlot()
            ? SpawnIntoReservedSlot(() => Gevent.Spawn(function))
            : Gevent.Spawn(() => ApplyAsync(function).AsTask());
        if (callback is not null)
        {
            g.LinkValue(_ => callback());
        }

        return g;
    }

    /// <summary>
    /// One step of the imap producers: takes a permit of <paramref name="window"/> (if bounded) so a
    /// slow reader stops new calls, then spawns <paramref name="function"/>(<paramref name="item"/>)
    /// as a member, waiting for a slot on a full pool.
    /// </summary>
    private async ValueTask<Greenlet<TOut>> SpawnWithinWindowAsync<TIn, TOut>(Semaphore? window, Func<TIn, Task<TOut>> function, TIn item)
    {
        if (window is not null)
        {
            await window.AcquireAsync();
        }

        return await SpawnMemberWaitingAsync(() => Gevent.Spawn(function, item), null, default);
    }

    /// <summary>A plain sequence as an async one, read item by item (synchronously) by the producer.</summary>
    private static async IAsyncEnumerable<T> AsyncSource<T>(IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (T item in items)
        {
            yield return item;
        }

        await Task.CompletedTask; // an iterator with no await of its own
    }

    /// <summary>Checks the arguments of a lazy map and returns its window (calls started and not yet read; null is unbounded).</summary>
    private int? MapWindow(Delegate function, object items, int? maxsize)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(items);
        int? window = maxsize ?? DefaultMapWindow;
        if (window is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxsize), maxsize, "maxsize must be positive, or null.");
        }

        return window;
    }
}
