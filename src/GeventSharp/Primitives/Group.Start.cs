namespace GeventSharp;

/// <summary>Adding an existing greenlet and starting it: gevent's <c>Group.start</c> and <c>Pool.start</c>.</summary>
public partial class Group
{
    /// <summary>
    /// Adds the unstarted <paramref name="greenlet"/> and starts it (gevent's <c>start(greenlet)</c>;
    /// on a <see cref="Pool"/>, <c>start(greenlet, blocking=False)</c>): on a full pool, throws
    /// <see cref="QueueFullException"/> (gevent's <c>PoolFull</c>) and leaves the greenlet unstarted.
    /// </summary>
    /// <param name="greenlet">A greenlet made with <c>new Greenlet(...)</c>; one already started is only added.</param>
    /// <exception cref="QueueFullException">The pool has no free slot.</exception>
    /// <example>
    /// <code>
    /// var g = new Greenlet(() =&gt; Console.WriteLine("hi"));
    /// group.Start(g); // a member, scheduled to run
    /// </code>
    /// </example>
    public void Start(Greenlet greenlet)
    {
        Add(greenlet);
        StartIfUnstarted(greenlet);
    }

    /// <summary>
    /// Adds the unstarted <paramref name="greenlet"/>, waiting up to <paramref name="timeout"/> for a
    /// slot on a <see cref="Pool"/>, then starts it (gevent's <c>pool.start(greenlet, timeout=...)</c>).
    /// </summary>
    /// <param name="greenlet">A greenlet made with <c>new Greenlet(...)</c>; one already started is only added.</param>
    /// <param name="timeout">How long to wait for a slot; null waits as long as it takes.</param>
    /// <param name="cancellationToken">Cancels the wait for a slot.</param>
    /// <exception cref="QueueFullException">No slot came free in time; the greenlet is not started.</exception>
    /// <example>
    /// <code>
    /// var g = new Greenlet(async () =&gt; await FetchAsync(url));
    /// await pool.StartAsync(g, TimeSpan.FromSeconds(5)); // waits for room, then starts g
    /// </code>
    /// </example>
    public async ValueTask StartAsync(Greenlet greenlet, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        await AddAsync(greenlet, timeout, cancellationToken);
        StartIfUnstarted(greenlet);
    }

    /// <summary>Like <see cref="StartAsync(Greenlet, TimeSpan?, CancellationToken)"/>, waiting up to <paramref name="timeoutSeconds"/> for a slot.</summary>
    /// <exception cref="QueueFullException">No slot came free in time; the greenlet is not started.</exception>
    public ValueTask StartAsync(Greenlet greenlet, double timeoutSeconds, CancellationToken cancellationToken = default)
        => StartAsync(greenlet, Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    private static void StartIfUnstarted(Greenlet greenlet)
    {
        if (greenlet.State == GreenletState.Unstarted)
        {
            greenlet.Start();
        }
    }
}
