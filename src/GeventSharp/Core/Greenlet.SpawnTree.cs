using System.Runtime.CompilerServices;
namespace GeventSharp;

/// <summary>The spawn tree: who spawned a greenlet, the locals its tree shares, and spawn callbacks.</summary>
public partial class Greenlet
{
    private static readonly object s_callbacksLock = new();
    private static Action<Greenlet>[]? s_spawnCallbacks;

    // The spawner (a Greenlet), or null for a greenlet spawned by hub code. When this greenlet dies
    // after its spawner, the link skips the dead spawner (to the tree's dictionary, or a dead ancestor
    // of the same tree), so a chain of dead greenlets that spawned each other is not kept alive by
    // its last child. SpawningGreenlet is null once both are dead, so the skip never shows.
    private object? _spawnLink;

    /// <summary>
    /// The greenlet that spawned (created) this one, or <see langword="null"/> if hub code did (a
    /// link callback, <see cref="Hub.Post"/>) (gevent's <c>spawning_greenlet</c>).
    /// </summary>
    /// <remarks>
    /// gevent keeps a weak reference; here the spawner is named while this greenlet or its spawner
    /// is alive. Once both are dead, the link is let go (null), so a chain of greenlets that each
    /// spawned the next does not stay in memory through its last member.
    /// </remarks>
    /// <example><code>Greenlet child = Gevent.Spawn(() =&gt; { }); // child.SpawningGreenlet == Greenlet.Current</code></example>
    public Greenlet? SpawningGreenlet => _spawnLink is Greenlet spawner && !(Ready && spawner.Ready) ? spawner : null;

    /// <summary>
    /// A dictionary shared by this greenlet and every greenlet spawned from it, transitively
    /// (gevent's <c>spawn_tree_locals</c>): request-wide values a whole tree of greenlets can read.
    /// </summary>
    /// <remarks>
    /// <para>A greenlet spawned by another greenlet shares its spawner's dictionary (the same object).
    /// The greenlets the main greenlet spawns start a tree each, with a dictionary of their own, as
    /// in gevent; so does the main greenlet. Greenlets spawned by hub code share one dictionary per hub.</para>
    /// <para>Created on first use: a tree whose locals are never read costs nothing.</para>
    /// </remarks>
    /// <example>
    /// <code>
    /// Greenlet handler = Gevent.Spawn(async () =&gt;
    /// {
    ///     Greenlet.Current!.SpawnTreeLocals["request-id"] = 42;
    ///     await Gevent.Spawn(() =&gt; Greenlet.Current!.SpawnTreeLocals["request-id"]); // 42
    /// });
    /// </code>
    /// </example>
    public IDictionary<object, object?> SpawnTreeLocals => TreeLocals();

    /// <summary>
    /// Registers <paramref name="callback"/> to run with every greenlet started from now on, on its
    /// hub's thread, when <see cref="Start"/> or <see cref="StartLater(TimeSpan)"/> (so every spawn)
    /// schedules it (gevent's <c>add_spawn_callback</c>). Adding a callback twice registers it once.
    /// </summary>
    /// <remarks>
    /// The registry is process-wide, as in gevent: the callback runs for greenlets of every hub. It
    /// runs in the starter, before the greenlet is scheduled; an exception it throws leaves the
    /// greenlet unstarted and propagates to the starter. Callbacks run in the order they were added.
    /// </remarks>
    /// <example><code>Greenlet.AddSpawnCallback(g =&gt; Console.WriteLine($"{g} spawned by {g.SpawningGreenlet}"));</code></example>
    public static void AddSpawnCallback(Action<Greenlet> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        lock (s_callbacksLock)
        {
            Action<Greenlet>[] now = s_spawnCallbacks ?? [];
            if (Array.IndexOf(now, callback) < 0)
            {
                Volatile.Write(ref s_spawnCallbacks, [.. now, callback]);
            }
        }
    }

    /// <summary>Removes a callback added with <see cref="AddSpawnCallback"/> (gevent's <c>remove_spawn_callback</c>); false if it was not registered.</summary>
    public static bool RemoveSpawnCallback(Action<Greenlet> callback)
    {
        if (callback is null)
        {
            return false;
        }

        lock (s_callbacksLock)
        {
            Action<Greenlet>[]? now = s_spawnCallbacks;
            int i = now is null ? -1 : Array.IndexOf(now, callback);
            if (i < 0)
            {
                return false;
            }

            Action<Greenlet>[] rest = [.. now![..i], .. now[(i + 1)..]];
            Volatile.Write(ref s_spawnCallbacks, rest.Length == 0 ? null : rest);
            return true;
        }
    }

    /// <summary>Runs the spawn callbacks, if any are registered (one static read otherwise).</summary>
    private void CallSpawnCallbacks()
    {
        if (Volatile.Read(ref s_spawnCallbacks) is { } callbacks)
        {
            foreach (Action<Greenlet> callback in callbacks)
            {
                callback(this);
            }
        }
    }

    /// <summary>True if this greenlet starts a spawn tree of its own: main, or spawned by main.</summary>
    private bool IsTreeRoot => IsMain || (_spawnLink is Greenlet { IsMain: true });

    /// <summary>The tree's dictionary, created on first use (at the root of the tree, so the whole tree shares it).</summary>
    private Dictionary<object, object?> TreeLocals()
    {
        if (_rare?.TreeLocals is { } own)
        {
            return own;
        }

        Dictionary<object, object?> locals = _spawnLink switch
        {
            _ when IsTreeRoot => new Dictionary<object, object?>(),
            Dictionary<object, object?> kept => kept,
            Greenlet spawner => spawner.TreeLocals(),
            _ => _homeHub.HubSpawnTreeLocals,
        };
        return RareState.TreeLocals = locals;
    }

    /// <summary>
    /// At death: if the spawner is dead too (and not a tree root), skip it, so dead greenlets that
    /// spawned each other do not form a chain kept alive by the last one. The tree is unchanged:
    /// a dead non-root spawner shares the dictionary of its own link.
    /// </summary>
    // Once per greenlet: optimized at first call (a short program never reaches tier 1; docs/benchmarks.md, "Third pass").
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LetGoOfDeadSpawner()
    {
        if (_spawnLink is Greenlet { Ready: true, IsTreeRoot: false } spawner)
        {
            object? next = spawner._rare?.TreeLocals ?? spawner._spawnLink;
            if (next is not Greenlet { Ready: false })
            {
                _spawnLink = next; // the tree's dictionary, null (hub code's tree), or a dead ancestor of the same tree
            }
        }
    }
}
