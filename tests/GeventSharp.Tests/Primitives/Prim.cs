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

    /// <summary>Lets every greenlet that is ready run (several hub turns).</summary>
    public static async Task Settle(int turns = 5)
    {
        for (int i = 0; i < turns; i++)
        {
            await Gevent.Sleep(0);
        }
    }
}
