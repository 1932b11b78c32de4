namespace GeventSharp;

/// <summary>What every blocking primitive call does once it cannot complete at once.</summary>
internal static class BlockingCall
{
    /// <summary>
    /// The greenlet that has to wait and for how long (hub ticks, -1 for ever). Throws
    /// <see cref="ShutDown"/> if <paramref name="shutdown"/>, and <typeparamref name="TFail"/>
    /// (<see cref="Empty"/>, <see cref="Full"/>) when it may not wait: <paramref name="block"/> is
    /// false or the timeout is zero.
    /// </summary>
    public static long WaitTicksOrThrow<TFail>(string api, bool shutdown, bool block, TimeSpan? timeout, out Greenlet current)
        where TFail : Exception, new()
    {
        if (shutdown)
        {
            throw new ShutDown();
        }

        current = Hub.CurrentGreenletOrThrow(api);
        long ticks = block ? current._hub.TimeoutToTicks(timeout) : 0;
        if (ticks == 0)
        {
            throw new TFail();
        }

        return ticks;
    }

    /// <summary>Yields what <paramref name="get"/> returns until it throws <see cref="ShutDown"/> (the <c>await foreach</c> of queues and channels).</summary>
    public static async IAsyncEnumerator<T> TakeUntilShutDown<T>(Func<CancellationToken, ValueTask<T>> get, CancellationToken cancellationToken)
    {
        while (true)
        {
            T item;
            try
            {
                item = await get(cancellationToken);
            }
            catch (ShutDown)
            {
                yield break;
            }

            yield return item;
        }
    }
}
