using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Primitives;

/// <summary>
/// Seeded random schedules of producers, consumers, lock holders and killers on the virtual
/// clock: random sleeps, timeouts, Timeout scopes, kills, cancelled tokens, acquire scopes and
/// shutdowns. Every item is delivered exactly once or is still queued, no permit leaks, nothing
/// deadlocks. A failure names its seed.
/// </summary>
public sealed class PrimitivesFuzzTests
{
    // Seeds per kind: the seed picks the kind (seed % kinds), so every queue kind (Queue, LifoQueue,
    // PriorityQueue, JoinableQueue, Channel, small bounded Queue) and every semaphore kind
    // (Semaphore, BoundedSemaphore, Lock, RLock) gets this many schedules.
    private const int SchedulesPerKind = 1000;
    private const int QueueKinds = 6;
    private const int SemaphoreKinds = 4;

    /// <summary>The queue kinds under test, behind one shape.</summary>
    private sealed class Q
    {
        public required string Name { get; init; }
        public required Func<int, bool, TimeSpan?, CancellationToken, ValueTask> Put { get; init; }
        public required Func<bool, TimeSpan?, CancellationToken, ValueTask<int>> Get { get; init; }
        public required Func<(bool, int)> TryGet { get; init; }
        public Func<bool, TimeSpan?, CancellationToken, ValueTask<int>>? Peek { get; init; }
        public required Action Shutdown { get; init; }
        public required Func<string> Describe { get; init; }
        public JoinableQueue<int>? Joinable { get; init; }
    }

    private static Q MakeQueue(int kind, Random rng)
    {
        if (kind == 5)
        {
            var c = new Channel<int>();
            return new Q
            {
                Name = "Channel",
                Put = (x, b, t, ct) => c.PutAsync(x, b ? t : TimeSpan.Zero, ct),
                Get = (b, t, ct) => c.GetAsync(b ? t : TimeSpan.Zero, ct),
                TryGet = () => c.TryGet(out int x) ? (true, x) : (false, 0),
                Shutdown = () => c.Shutdown(),
                Describe = c.ToString,
            };
        }

        int? max = rng.Next(3) == 0 ? null : rng.Next(1, 4);
        QueueBase<int> q = kind switch
        {
            0 => new FifoQueue<int>(max),
            1 => new LifoQueue<int>(max),
            2 => new PriorityQueue<int>(null, max),
            3 => new JoinableQueue<int>(max),
            _ => new FifoQueue<int>(rng.Next(1, 3)),
        };
        return new Q
        {
            Name = q.GetType().Name.Split('`')[0] + (max is null ? string.Empty : $"({max})"),
            Put = (x, b, t, ct) => q.PutAsync(x, b ? t : TimeSpan.Zero, ct),
            Get = (b, t, ct) => q.GetAsync(b ? t : TimeSpan.Zero, ct),
            TryGet = () => q.TryGet(out int x) ? (true, x) : (false, 0),
            Peek = (b, t, ct) => q.PeekAsync(b ? t : TimeSpan.Zero, ct),
            Shutdown = () => q.Shutdown(),
            Describe = q.ToString,
            Joinable = q as JoinableQueue<int>,
        };
    }

    private static TimeSpan? RandomTimeout(Random rng) => rng.Next(4) switch
    {
        0 => null,
        1 => TimeSpan.Zero,
        _ => TimeSpan.FromMilliseconds(100 * rng.Next(1, 10)),
    };

    private static Task RandomSleep(Random rng) => rng.Next(3) == 0 ? Gevent.Sleep(0).AsTask() : Gevent.Sleep(0.1 * rng.Next(1, 6)).AsTask();

    [Fact]
    public void Queues_RandomSchedules_DeliverEveryItemExactlyOnceOrKeepIt()
    {
        for (int seed = 0; seed < SchedulesPerKind * QueueKinds; seed++)
        {
            RunQueueSchedule(seed);
        }
    }

    private static void RunQueueSchedule(int seed)
    {
        var rng = new Random(seed);
        var sent = new List<int>();
        var received = new List<int>();
        var remaining = new List<int>();
        int taskDone = 0;
        string name = "?";
        var h = new HubHarness();
        try
        {
            h.Run(async () =>
            {
                Q q = MakeQueue(seed % QueueKinds, rng);
                name = q.Name;
                var workers = new List<Greenlet>();
                using var cts = new CancellationTokenSource(); // some waits take it; the killer may cancel it
                CancellationToken SomeToken(Random r) => r.Next(6) == 0 ? cts.Token : default;
                int producers = rng.Next(1, 4);
                int consumers = rng.Next(1, 4);
                for (int p = 0; p < producers; p++)
                {
                    int puts = rng.Next(1, 9);
                    int id0 = p * 100;
                    var r = new Random(rng.Next());
                    workers.Add(Prim.Go(async () =>
                    {
                        for (int j = 0; j < puts; j++)
                        {
                            int id = id0 + j;
                            try
                            {
                                if (r.Next(5) == 0)
                                {
                                    using (Timeout.StartNew(0.1 * r.Next(1, 5)))
                                    {
                                        await q.Put(id, true, null, default);
                                    }
                                }
                                else
                                {
                                    await q.Put(id, r.Next(4) != 0, RandomTimeout(r), SomeToken(r));
                                }

                                sent.Add(id);
                            }
                            catch (Exception e) when (e is QueueFullException or QueueShutDownException or Timeout or OperationCanceledException)
                            {
                            }

                            await RandomSleep(r);
                        }
                    }));
                }

                for (int c = 0; c < consumers; c++)
                {
                    int gets = rng.Next(1, 11);
                    var r = new Random(rng.Next());
                    workers.Add(Prim.Go(async () =>
                    {
                        for (int j = 0; j < gets; j++)
                        {
                            try
                            {
                                if (q.Peek is { } peek && r.Next(6) == 0)
                                {
                                    await peek(r.Next(4) != 0, RandomTimeout(r), SomeToken(r)); // looks, takes nothing
                                }

                                int x;
                                if (r.Next(5) == 0)
                                {
                                    using (Timeout.StartNew(0.1 * r.Next(1, 5)))
                                    {
                                        x = await q.Get(true, null, default);
                                    }
                                }
                                else
                                {
                                    x = await q.Get(r.Next(4) != 0, RandomTimeout(r), SomeToken(r));
                                }

                                received.Add(x);
                                if (q.Joinable is { } jq)
                                {
                                    jq.TaskDone();
                                    taskDone++;
                                }
                            }
                            catch (Exception e) when (e is QueueEmptyException or QueueShutDownException or Timeout or OperationCanceledException)
                            {
                            }

                            await RandomSleep(r);
                        }
                    }));
                }

                int kills = rng.Next(0, 4);
                var kr = new Random(rng.Next());
                bool shutdown = rng.Next(8) == 0;
                bool cancel = rng.Next(3) == 0;
                workers.Add(Prim.Go(async () =>
                {
                    for (int k = 0; k < kills; k++)
                    {
                        await RandomSleep(kr);
                        workers[kr.Next(producers + consumers)].Kill();
                    }

                    if (cancel)
                    {
                        await RandomSleep(kr);
                        cts.Cancel();
                    }

                    if (shutdown)
                    {
                        await RandomSleep(kr);
                        q.Shutdown();
                    }
                }));

                IReadOnlyList<Greenlet> done = await Gevent.JoinAllAsync(workers, TimeSpan.FromSeconds(60));
                await Gevent.KillAllAsync(workers);
                Assert.All(workers, w => Assert.True(w.Ready));
                while (q.TryGet() is (true, int x))
                {
                    remaining.Add(x);
                }

                if (q.Joinable is { } jq2)
                {
                    Assert.Equal(sent.Count - taskDone, jq2.Unfinished);
                }
            });

            Assert.Empty(h.Errors);
            Assert.Equal(received.Count, received.Distinct().Count());
            Assert.Equal(sent.OrderBy(x => x), received.Concat(remaining).OrderBy(x => x));
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException(
                $"seed {seed} ({name}) failed: {e.Message}\nsent [{string.Join(",", sent)}]\nreceived [{string.Join(",", received)}]\nremaining [{string.Join(",", remaining)}]\nerrors: {string.Join("; ", h.Errors.Select(x => x.Exception.Message))}\n{e}");
        }
    }

    [Fact]
    public void Semaphores_RandomSchedules_NeverExceedTheLimit_AndLeakNoPermit()
    {
        for (int seed = 0; seed < SchedulesPerKind * SemaphoreKinds; seed++)
        {
            RunSemaphoreSchedule(seed);
        }
    }

    private static void RunSemaphoreSchedule(int seed)
    {
        var rng = new Random(seed);
        string name = "?";
        var h = new HubHarness();
        try
        {
            h.Run(async () =>
            {
                int kind = seed % SemaphoreKinds;
                int limit = kind >= 2 ? 1 : rng.Next(1, 4);
                Semaphore? sem = kind switch
                {
                    0 => new Semaphore(limit),
                    1 => new BoundedSemaphore(limit),
                    2 => new Lock(),
                    _ => null,
                };
                RLock? rlock = kind == 3 ? new RLock() : null;
                name = sem?.ToString() ?? rlock!.ToString();
                int holders = 0;
                var workers = new List<Greenlet>();
                using var cts = new CancellationTokenSource(); // some waits take it; the killer may cancel it
                CancellationToken SomeToken(Random r) => r.Next(6) == 0 ? cts.Token : default;
                int n = rng.Next(2, 7);
                for (int i = 0; i < n; i++)
                {
                    var r = new Random(rng.Next());
                    int rounds = r.Next(1, 6);
                    workers.Add(Prim.Go(async () =>
                    {
                        for (int k = 0; k < rounds; k++)
                        {
                            bool got;
                            LockScope? scope = null;
                            try
                            {
                                int how = r.Next(5);
                                if (how == 0)
                                {
                                    using (Timeout.StartNew(0.1 * r.Next(1, 5)))
                                    {
                                        got = sem is not null ? await sem.AcquireAsync() : await rlock!.AcquireAsync();
                                    }
                                }
                                else if (how == 1)
                                {
                                    TimeSpan t = TimeSpan.FromMilliseconds(100 * r.Next(0, 10));
                                    scope = sem is not null ? await sem.AcquireScopeAsync(t, SomeToken(r)) : await rlock!.AcquireScopeAsync(t, SomeToken(r));
                                    got = true;
                                }
                                else
                                {
                                    TimeSpan? t = RandomTimeout(r);
                                    bool block = r.Next(4) != 0;
                                    got = sem is not null ? await sem.AcquireAsync(block ? t : TimeSpan.Zero, SomeToken(r)) : await rlock!.AcquireAsync(block ? t : TimeSpan.Zero, SomeToken(r));
                                }
                            }
                            catch (Exception e) when (e is Timeout or OperationCanceledException)
                            {
                                got = false;
                            }

                            if (!got)
                            {
                                await RandomSleep(r);
                                continue;
                            }

                            holders++;
                            try
                            {
                                Assert.True(holders <= limit, $"{holders} holders of a limit of {limit}");
                                if (rlock is not null && r.Next(2) == 0)
                                {
                                    Assert.True(await rlock.AcquireAsync()); // re-entrant
                                    try
                                    {
                                        await RandomSleep(r);
                                    }
                                    finally
                                    {
                                        rlock.Release();
                                    }
                                }

                                await RandomSleep(r);
                            }
                            finally
                            {
                                holders--;
                                if (scope is { } held)
                                {
                                    held.Dispose();
                                }
                                else if (sem is not null)
                                {
                                    sem.Release();
                                }
                                else
                                {
                                    rlock!.Release();
                                }
                            }
                        }
                    }));
                }

                int kills = rng.Next(0, 4);
                bool cancel = rng.Next(3) == 0;
                var kr = new Random(rng.Next());
                workers.Add(Prim.Go(async () =>
                {
                    for (int k = 0; k < kills; k++)
                    {
                        await RandomSleep(kr);
                        workers[kr.Next(n)].Kill();
                    }

                    if (cancel)
                    {
                        await RandomSleep(kr);
                        cts.Cancel();
                    }
                }));

                await Gevent.JoinAllAsync(workers, TimeSpan.FromSeconds(60));
                await Gevent.KillAllAsync(workers);
                Assert.All(workers, w => Assert.True(w.Ready));
                Assert.Equal(0, holders);
                if (sem is not null)
                {
                    Assert.Equal(limit, sem.Counter);
                    Assert.Equal(0, sem.AcquirerCount);
                }
                else
                {
                    Assert.Null(rlock!.Owner);
                    Assert.Equal(0, rlock.AcquirerCount);
                }
            });

            Assert.Empty(h.Errors);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException(
                $"seed {seed} ({name}) failed: {e.Message}\nerrors: {string.Join("; ", h.Errors.Select(x => x.Exception.ToString()))}\n{e}");
        }
    }

    [Fact]
    public void Pools_RandomSchedules_NeverExceedTheSize_AndFreeEverySlot()
    {
        for (int seed = 0; seed < 400; seed++)
        {
            var rng = new Random(seed);
            var h = new HubHarness();
            try
            {
                h.Run(async () =>
                {
                    int size = rng.Next(1, 4);
                    var pool = new Pool(size);
                    int running = 0;
                    var spawners = new List<Greenlet>();
                    for (int i = 0; i < rng.Next(2, 6); i++)
                    {
                        var r = new Random(rng.Next());
                        spawners.Add(Prim.Go(async () =>
                        {
                            for (int k = 0; k < r.Next(1, 5); k++)
                            {
                                async Task Member()
                                {
                                    running++;
                                    try
                                    {
                                        Assert.True(running <= size, $"{running} members in a pool of {size}");
                                        await RandomSleep(r);
                                    }
                                    finally
                                    {
                                        running--;
                                    }
                                }

                                try
                                {
                                    if (r.Next(3) == 0)
                                    {
                                        await pool.SpawnAsync(Member, TimeSpan.FromMilliseconds(100 * r.Next(0, 5)));
                                    }
                                    else
                                    {
                                        await pool.SpawnAsync(Member);
                                    }
                                }
                                catch (QueueFullException)
                                {
                                }

                                await RandomSleep(r);
                            }
                        }));
                    }

                    var kr = new Random(rng.Next());
                    spawners.Add(Prim.Go(async () =>
                    {
                        for (int k = 0; k < kr.Next(0, 4); k++)
                        {
                            await RandomSleep(kr);
                            if (kr.Next(2) == 0 && pool.Count > 0)
                            {
                                pool.ElementAt(kr.Next(pool.Count)).Kill();
                            }
                            else
                            {
                                spawners[kr.Next(spawners.Count - 1)].Kill();
                            }
                        }
                    }));

                    await Gevent.JoinAllAsync(spawners, TimeSpan.FromSeconds(60));
                    await Gevent.KillAllAsync(spawners);
                    Assert.True(await pool.KillAsync());
                    await Gevent.Sleep(0);
                    Assert.Empty(pool);
                    Assert.Equal(size, pool.FreeCount);
                    Assert.Equal(0, pool.SpawnerCount);
                    Assert.Equal(0, running);
                });
                Assert.Empty(h.Errors);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"seed {seed} failed: {e.Message}\nerrors: {string.Join("; ", h.Errors.Select(x => x.Exception.ToString()))}\n{e}");
            }
        }
    }
}
