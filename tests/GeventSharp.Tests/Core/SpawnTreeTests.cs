using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Core;

/// <summary>
/// gevent's test__greenlet.py spawn-tree cases (TestSpawningGreenlet / spawn_tree_locals, and
/// add_spawn_callback/remove_spawn_callback), checked against real gevent 22.10.
/// </summary>
[Collection(nameof(SpawnCallbackCollection))] // spawn callbacks are process-wide
public sealed class SpawnTreeTests
{
    [Fact]
    public void test_spawning_greenlet_IsTheSpawner()
    {
        Run(async () =>
        {
            Greenlet main = Greenlet.Current!;
            Greenlet? seenByChild = null;
            Greenlet parent = Go(async () =>
            {
                Greenlet child = Gevent.Spawn(() => { });
                seenByChild = child.SpawningGreenlet;
                await child.JoinAsync();
            });
            await parent.JoinAsync();
            Assert.Same(main, parent.SpawningGreenlet);
            Assert.Same(parent, seenByChild);
        });
    }

    [Fact]
    public void test_spawn_tree_locals_SharedWithChildren_SeparateForMainsChildren()
    {
        Run(async () =>
        {
            Greenlet<bool> parent = Go(async () =>
            {
                IDictionary<object, object?> mine = Greenlet.Current!.SpawnTreeLocals;
                mine["k"] = 1;
                Greenlet<IDictionary<object, object?>> child = Gevent.Spawn(() => Greenlet.Current!.SpawnTreeLocals);
                Greenlet<object?> grandchild = Go(async () =>
                {
                    Greenlet<object?> inner = Gevent.Spawn(() => Greenlet.Current!.SpawnTreeLocals["k"]);
                    return await inner;
                });
                return ReferenceEquals(await child, mine) && Equals(await grandchild, 1);
            });
            Assert.True(await parent);

            Greenlet a = Gevent.Spawn(() => { });
            Greenlet b = Gevent.Spawn(() => { });
            Assert.NotSame(a.SpawnTreeLocals, b.SpawnTreeLocals);
            Assert.NotSame(Greenlet.Current!.SpawnTreeLocals, a.SpawnTreeLocals);
        });
    }

    [Fact]
    public void SpawnTreeLocals_ReadAfterTheSpawnerDied_AreStillTheTreesOwn()
    {
        Run(async () =>
        {
            Greenlet? child1 = null, child2 = null;
            Greenlet parent = Go(async () =>
            {
                child1 = Go(async () => await Gevent.Sleep(1));
                child2 = Go(async () => await Gevent.Sleep(1));
                await Gevent.Sleep(0);
            });
            await parent.JoinAsync();
            Assert.Same(child1!.SpawnTreeLocals, child2!.SpawnTreeLocals); // the dead parent's dictionary
            Assert.Same(parent.SpawnTreeLocals, child1.SpawnTreeLocals);
            Assert.Same(parent, child1.SpawningGreenlet); // named while the child is alive
        });
    }

    [Fact]
    public void AChainOfDeadSpawners_IsLetGo_ButKeepsItsLocals()
    {
        Run(async () =>
        {
            Greenlet? last = null;
            Greenlet root = Go(async () =>
            {
                Greenlet.Current!.SpawnTreeLocals["id"] = 7;
                int generation = 0;
                void Next()
                {
                    if (++generation < 5)
                    {
                        last = Gevent.Spawn(Next); // each spawns the next and dies
                    }
                }

                last = Gevent.Spawn(Next);
                await Gevent.Sleep(0);
            });
            await root.JoinAsync();
            await Settle(10);
            Assert.True(last!.Ready);
            Assert.Null(last.SpawningGreenlet); // its dead spawner is not kept
            Assert.Equal(7, last.SpawnTreeLocals["id"]);
        });
    }

    [Fact]
    public void test_add_spawn_callback_CalledOnceForEachStart_UntilRemoved()
    {
        var seen = new List<Greenlet>();
        Hub? mine = null;
        Action<Greenlet> callback = g =>
        {
            if (g.Hub == mine)
            {
                seen.Add(g); // the registry is process-wide: ignore other tests' hubs
            }
        };
        Run(async () =>
        {
            mine = Greenlet.Current!.Hub;
            Greenlet.AddSpawnCallback(callback);
            Greenlet.AddSpawnCallback(callback); // a set: once
            try
            {
                Greenlet x = Gevent.Spawn(() => { });
                var y = new Greenlet(() => { });
                Assert.Single(seen); // not at creation
                y.Start();
                Greenlet z = Gevent.SpawnLater(0.01, () => { });
                Assert.Equal(new[] { x, y, z }, seen);
            }
            finally
            {
                Assert.True(Greenlet.RemoveSpawnCallback(callback));
                Assert.False(Greenlet.RemoveSpawnCallback(callback));
            }

            Gevent.Spawn(() => { });
            Assert.Equal(3, seen.Count);
            await Settle();
        });
    }
}

/// <summary>Tests that register process-wide spawn callbacks run one at a time.</summary>
[CollectionDefinition(nameof(SpawnCallbackCollection), DisableParallelization = true)]
public sealed class SpawnCallbackCollection;
