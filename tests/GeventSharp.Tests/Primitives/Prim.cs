using GeventSharp.Testing;

namespace GeventSharp.Tests.Primitives;

/// <summary>Helpers shared by the primitive tests.</summary>
internal static class Prim
{
    /// <summary>Runs <paramref name="body"/> as the main greenlet of a virtual-clock hub; returns the harness.</summary>
    public static HubHarness Run(Func<Task> body)
    {
        var h = new HubHarness();
        h.Run(body);
        return h;
    }

    /// <summary>Spawns an async lambda (avoids the Func&lt;Task&gt;/Func&lt;ValueTask&gt; overload ambiguity).</summary>
    public static Greenlet Go(Func<Task> body) => Gevent.Spawn(body);

    /// <summary>Spawns an async lambda and waits for it, rethrowing its exception.</summary>
    public static async Task GoWait(Func<Task> body) => await Gevent.Spawn(body).GetAsync();

    /// <summary>Spawns an async lambda and forgets it (the hub kills it at the end of the run).</summary>
    public static void Fork(Func<Task> body) => Gevent.Spawn(body);

    /// <summary>Spawns an async lambda with a result.</summary>
    public static Greenlet<T> Go<T>(Func<Task<T>> body) => Gevent.Spawn(body);

    /// <summary>Takes the next item, which must be there now (<see cref="QueueBase{T}.TryGet"/> succeeds).</summary>
    public static T GetNow<T>(QueueBase<T> queue)
    {
        Xunit.Assert.True(queue.TryGet(out T item), $"{queue}: no item to take now");
        return item;
    }

    /// <summary>Takes an item from a waiting putter, which must be there now.</summary>
    public static T GetNow<T>(Channel<T> channel)
    {
        Xunit.Assert.True(channel.TryGet(out T item), $"{channel}: no putter waiting");
        return item;
    }

    /// <summary>Looks at the next item, which must be there now.</summary>
    public static T PeekNow<T>(QueueBase<T> queue)
    {
        Xunit.Assert.True(queue.TryPeek(out T item), $"{queue}: no item to peek at now");
        return item;
    }

    /// <summary>Lets every greenlet that is ready run (several hub turns).</summary>
    public static async Task Settle(int turns = 5)
    {
        for (int i = 0; i < turns; i++)
        {
            await Gevent.Sleep(0);
        }
    }
}
