namespace GeventSharp;

/// <summary>What every blocking primitive call does once it cannot complete at once.</summary>
internal static class BlockingCall
{
    /// <summary>
    /// The greenlet that has to wait and for how long (hub ticks, -1 for ever). Throws
    /// <see cref="QueueShutDownException"/> if <paramref name="shutdown"/>, and <typeparamref name="TFail"/>
    /// (<see cref="QueueEmptyException"/>, <see cref="QueueFullException"/>) when it may not wait: the
    /// timeout is zero.
    /// </summary>
    public static long WaitTicksOrThrow<TFail>(string api, bool shutdown, TimeSpan? timeout, out Greenlet current)
        where TFail : Exception, new()
    {
        if (shutdown)
        {
            throw new QueueShutDownException();
        }

        current = Hub.CurrentGreenletOrThrow(api);
        long ticks = current.Hub.TimeoutToTicks(timeout);
        if (ticks == 0)
        {
            throw new TFail();
        }

        return ticks;
    }

    /// <summary>Yields what <paramref name="get"/> returns until it throws <see cref="QueueShutDownException"/> (the <c>await foreach</c> of queues and channels).</summary>
    public static async IAsyncEnumerator<T> TakeUntilShutDown<T>(Func<CancellationToken, ValueTask<T>> get, CancellationToken cancellationToken)
    {
        while (true)
        {
            T item;
            try
            {
                item = await get(cancellationToken);
            }
            catch (QueueShutDownException)
            {
                yield break;
            }

            yield return item;
        }
    }
}
