namespace GeventSharp;

/// <summary>
/// Waits bounded by a <see cref="Timeout"/> object rather than a duration: gevent's
/// <c>timeout=Timeout(...)</c> argument of <c>join</c>, <c>wait</c>, <c>get</c> and <c>put</c>.
/// </summary>
/// <remarks>
/// <para>The timeout is started if it is not pending (one already started keeps its deadline) and is
/// cancelled when the wait ends, however it ends, as in gevent.</para>
/// <para>A wait that answers yes or no (<c>JoinAsync</c>, <c>WaitAsync</c>, <c>AcquireAsync</c>) returns
/// false when this timeout fires. A wait that returns an item (<c>GetAsync</c>, <c>PutAsync</c>) lets the
/// timeout itself propagate, not <see cref="QueueEmptyException"/>. A timeout made with a custom
/// exception raises that exception from either kind.</para>
/// </remarks>
/// <example>
/// <code>
/// var deadline = new Timeout(5);
/// bool joined = await worker.JoinAsync(deadline);       // false after 5 s
/// string line = await lines.GetAsync(new Timeout(1));  // throws that Timeout after 1 s
/// </code>
/// </example>
public static class TimeoutExtensions
{
    /// <summary>Waits until <paramref name="greenlet"/> is dead or <paramref name="timeout"/> fires (gevent's <c>g.join(timeout=Timeout(...))</c>).</summary>
    /// <returns>True if the greenlet is dead, false if the timeout fired.</returns>
    public static ValueTask<bool> JoinAsync(this Greenlet greenlet, Timeout timeout)
    {
        ArgumentNullException.ThrowIfNull(greenlet);
        return Answer(timeout, () => greenlet.JoinAsync());
    }

    /// <summary>Waits for <paramref name="greenlet"/>'s result; throws <paramref name="timeout"/> if it fires first (gevent's <c>g.get(timeout=Timeout(...))</c>).</summary>
    /// <exception cref="Timeout">This timeout fired first.</exception>
    public static ValueTask<object?> GetAsync(this Greenlet greenlet, Timeout timeout)
    {
        ArgumentNullException.ThrowIfNull(greenlet);
        return Item(timeout, () => greenlet.GetAsync());
    }

    /// <summary>Waits for <paramref name="greenlet"/>'s typed result; throws <paramref name="timeout"/> if it fires first.</summary>
    /// <exception cref="Timeout">This timeout fired first.</exception>
    public static ValueTask<T> GetAsync<T>(this Greenlet<T> greenlet, Timeout timeout)
    {
        ArgumentNullException.ThrowIfNull(greenlet);
        return Item(timeout, () => greenlet.GetAsync());
    }

    /// <summary>Waits until <paramref name="evt"/> is set or <paramref name="timeout"/> fires (gevent's <c>event.wait(timeout=Timeout(...))</c>).</summary>
    /// <returns>True if the event is set, false if the timeout fired.</returns>
    public static ValueTask<bool> WaitAsync(this Event evt, Timeout timeout)
    {
        ArgumentNullException.ThrowIfNull(evt);
        return Answer(timeout, () => evt.WaitAsync());
    }

    /// <summary>Waits until <paramref name="result"/> is ready or <paramref name="timeout"/> fires.</summary>
    /// <returns>True if the result is ready, false if the timeout fired.</returns>
    public static ValueTask<bool> WaitAsync<T>(this AsyncResult<T> result, Timeout timeout)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Answer(timeout, () => result.WaitAsync());
    }

    /// <summary>Waits for <paramref name="result"/>'s value; throws <paramref name="timeout"/> if it fires first (gevent's <c>result.get(timeout=Timeout(...))</c>).</summary>
    /// <exception cref="Timeout">This timeout fired first.</exception>
    public static ValueTask<T> GetAsync<T>(this AsyncResult<T> result, Timeout timeout)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Item(timeout, () => result.GetAsync());
    }

    /// <summary>Takes an item from <paramref name="queue"/>; throws <paramref name="timeout"/> if it fires first (gevent's <c>queue.get(timeout=Timeout(...))</c>).</summary>
    /// <exception cref="Timeout">This timeout fired first.</exception>
    public static ValueTask<T> GetAsync<T>(this QueueBase<T> queue, Timeout timeout)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return Item(timeout, () => queue.GetAsync());
    }

    /// <summary>Puts <paramref name="item"/> in <paramref name="queue"/>; throws <paramref name="timeout"/> if it fires before there is room.</summary>
    /// <exception cref="Timeout">This timeout fired first.</exception>
    public static ValueTask PutAsync<T>(this QueueBase<T> queue, T item, Timeout timeout)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return Done(timeout, () => queue.PutAsync(item));
    }

    /// <summary>Takes an item from <paramref name="channel"/>; throws <paramref name="timeout"/> if it fires first.</summary>
    /// <exception cref="Timeout">This timeout fired first.</exception>
    public static ValueTask<T> GetAsync<T>(this Channel<T> channel, Timeout timeout)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return Item(timeout, () => channel.GetAsync());
    }

    /// <summary>Hands <paramref name="item"/> to a getter of <paramref name="channel"/>; throws <paramref name="timeout"/> if it fires first.</summary>
    /// <exception cref="Timeout">This timeout fired first.</exception>
    public static ValueTask PutAsync<T>(this Channel<T> channel, T item, Timeout timeout)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return Done(timeout, () => channel.PutAsync(item));
    }

    /// <summary>Takes a permit of <paramref name="semaphore"/> (a lock too), or returns false if <paramref name="timeout"/> fires first.</summary>
    /// <returns>True if acquired, false if the timeout fired.</returns>
    public static ValueTask<bool> AcquireAsync(this Semaphore semaphore, Timeout timeout)
    {
        ArgumentNullException.ThrowIfNull(semaphore);
        return Answer(timeout, () => semaphore.AcquireAsync());
    }

    /// <summary>Runs a yes/no wait under <paramref name="timeout"/>: false if this timeout fires.</summary>
    private static async ValueTask<bool> Answer(Timeout timeout, Func<ValueTask<bool>> wait)
    {
        Arm(timeout);
        try
        {
            return await wait();
        }
        catch (Timeout fired) when (ReferenceEquals(fired, timeout))
        {
            return false;
        }
        finally
        {
            timeout.Cancel();
        }
    }

    /// <summary>Runs a wait for an item under <paramref name="timeout"/>, which propagates if it fires.</summary>
    private static async ValueTask<T> Item<T>(Timeout timeout, Func<ValueTask<T>> wait)
    {
        Arm(timeout);
        try
        {
            return await wait();
        }
        finally
        {
            timeout.Cancel();
        }
    }

    /// <summary>Runs a wait with no result under <paramref name="timeout"/>, which propagates if it fires.</summary>
    private static async ValueTask Done(Timeout timeout, Func<ValueTask> wait)
    {
        Arm(timeout);
        try
        {
            await wait();
        }
        finally
        {
            timeout.Cancel();
        }
    }

    private static void Arm(Timeout timeout)
    {
        ArgumentNullException.ThrowIfNull(timeout);
        if (!timeout.Pending)
        {
            timeout.Start();
        }
    }
}
