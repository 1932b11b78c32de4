using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// Kills and timeouts reach their target (issue 10, B): a kill's GreenletExit and an expired timeout
/// scope stand after their first raise, a greenlet that keeps swallowing one is ended at its next wait,
/// and shields let cleanup wait.
/// </summary>
public class CancellationTests
{
    private readonly HubHarness _h = new();

    private sealed class Interrupt : Exception
    {
    }

    /// <summary>The literal port of gevent's worker loop: <c>except Exception</c> becomes <c>catch (Exception)</c>.</summary>
    private static async Task CatchAllWorker(List<Exception> log)
    {
        while (true)
        {
            try
            {
                await Gevent.Sleep(0.1);
            }
            #pragma warning disable GS0004 // the mistake under test: a literal port of gevent's `except Exception:` loop
            catch (Exception e)
            {
                log.Add(e);
            }
            #pragma warning restore GS0004
        }
    }

    [Fact]
    public void KilledCatchAllLoop_DiesWithinOneWait_AndKillAsyncReturnsTrue()
    {
        var log = new List<Exception>();
        bool died = false;
        Greenlet? worker = null;
        _h.Run(async () =>
        {
            worker = Gevent.Spawn(() => CatchAllWorker(log));
            await Gevent.Sleep(0.55);
            TimeSpan before = _h.Elapsed;
            died = await worker.KillAsync(null, 1);
            Assert.Equal(before, _h.Elapsed); // no virtual time passed: not even one more sleep of the loop
        });

        Assert.True(died);
        Assert.True(worker!.Ready);
        Assert.True(worker.Successful);
        Assert.IsType<GreenletExit>(worker.Value);
        Assert.Equal(Interrupts.MaxRaises, log.Count); // raised where the kill landed, then once more
        Assert.All(log, e => Assert.IsType<GreenletExit>(e));
        Assert.Empty(_h.Errors);
    }

    [Fact]
    public void KilledCatchAllLoop_OuterFinallyOfTheGreenletsCaller_DoesNotKeepItAlive()
    {
        var log = new List<Exception>();
        bool died = false;
        _h.Run(async () =>
        {
            Greenlet worker = Gevent.Spawn(async () =>
            {
                try
                {
                    await CatchAllWorker(log);
                }
                finally
                {
                    log.Add(new Interrupt()); // abandoned with the loop's frames: never reached
                }
            });
            await Gevent.Sleep(0.25);
            died = await worker.KillAsync(null, 1);
        });

        Assert.True(died);
        Assert.DoesNotContain(log, e => e is Interrupt);
    }

    /// <summary>Spawns a greenlet, kills it after 1 s and checks that KillAsync saw it die.</summary>
    private T KillAfterOneSecond<T>(Func<T> spawn)
        where T : Greenlet
    {
        T? g = null;
        _h.Run(async () =>
        {
            g = spawn();
            await Gevent.Sleep(1);
            Assert.True(await g.KillAsync());
        });
        return g!;
    }

    /// <summary>A greenlet body that sleeps 10 s (where the kill lands), then runs <paramref name="cleanup"/> in a finally.</summary>
    private static Func<Task> SleepThenCleanUp(Func<Task> cleanup) => async () =>
    {
        try
        {
            await Gevent.Sleep(10);
        }
        finally
        {
            await cleanup();
        }
    };

    [Fact]
    public void CatchGreenletExitOnce_AndReturnAValue_EndsWithThatValue()
    {
        Greenlet<int> g = KillAfterOneSecond(() => Gevent.Spawn(async () =>
        {
            try
            {
                await Gevent.Sleep(10);
                return 1;
            }
            catch (GreenletExit)
            {
                return 42;
            }
        }));

        Assert.True(g.Successful);
        Assert.Equal(42, g.Value);
        Assert.Equal(42, ((Greenlet)g).Value);
    }

    [Fact]
    public void FinallyBlocksRun_AndAnUnshieldedWaitInThemRaisesTheKillAgain()
    {
        var trace = new List<string>();
        KillAfterOneSecond(() => Gevent.Spawn(async () =>
        {
            try
            {
                await SleepThenCleanUp(async () =>
                {
                    trace.Add("inner finally");
                    await Gevent.Sleep(1); // raises the kill again: not shielded
                    trace.Add("not reached");
                })();
            }
            finally
            {
                trace.Add("outer finally");
            }
        }));

        Assert.Equal(["inner finally", "outer finally"], trace);
        Assert.Equal(TimeSpan.FromSeconds(1), _h.Elapsed);
    }

    [Fact]
    public void ShieldedCleanup_CanWait_ThenTheKillEndsTheGreenlet()
    {
        var trace = new List<string>();
        Greenlet g = KillAfterOneSecond(() => Gevent.Spawn(SleepThenCleanUp(async () =>
        {
            using (Gevent.Shield())
            {
                await Gevent.Sleep(2);
                trace.Add("cleaned up");
            }
        })));

        Assert.Equal(["cleaned up"], trace);
        Assert.Equal(TimeSpan.FromSeconds(3), _h.Elapsed);
        Assert.IsType<GreenletExit>(g.Value);
    }

    [Fact]
    public void KillDuringAShield_IsRaisedAtTheFirstWaitAfterIt()
    {
        var trace = new List<string>();
        KillAfterOneSecond(() => Gevent.Spawn(async () =>
        {
            await Gevent.ShieldAsync(async () =>
            {
                await Gevent.Sleep(2); // the kill at 1 s does not interrupt this
                trace.Add("shielded sleep done");
            });
            trace.Add("after the shield");
            await Gevent.Sleep(5);
            trace.Add("not reached");
        }));

        Assert.Equal(["shielded sleep done", "after the shield"], trace);
        Assert.Equal(TimeSpan.FromSeconds(2), _h.Elapsed);
    }

    [Fact]
    public void TimeoutStartedInsideAShield_StillInterruptsIt()
    {
        Exception? caught = null;
        KillAfterOneSecond(() => Gevent.Spawn(SleepThenCleanUp(async () =>
        {
            using (Gevent.Shield())
            {
                try
                {
                    using (Timeout.StartNew(3))
                    {
                        await Gevent.Sleep(100); // cleanup that hangs: bounded by its own timeout
                    }
                }
                catch (Timeout t)
                {
                    caught = t;
                }
            }
        })));

        Assert.IsType<Timeout>(caught);
        Assert.Equal(TimeSpan.FromSeconds(4), _h.Elapsed);
    }

    [Fact]
    public void KillWithACustomException_IsOneShot_AsInGevent()
    {
        var trace = new List<string>();
        Greenlet? g = null;
        _h.Run(async () =>
        {
            g = Gevent.Spawn(async () =>
            {
                try
                {
                    await Gevent.Sleep(10);
                }
                catch (Interrupt)
                {
                    trace.Add("interrupted");
                }

                await Gevent.Sleep(2); // a one-shot interrupt: this wait is not disturbed
                trace.Add("carried on");
            });
            await Gevent.Sleep(1);
            g.Kill(new Interrupt());
            await g.JoinAsync();
        });

        Assert.Equal(["interrupted", "carried on"], trace);
        Assert.True(g!.Successful);
        Assert.Equal(TimeSpan.FromSeconds(3), _h.Elapsed);
    }

    [Fact]
    public void TimeoutScopeAroundACatchAllLoop_EndsIt()
    {
        var log = new List<Exception>();
        Greenlet? g = null;
        Timeout? scope = null;
        _h.Run(async () =>
        {
            g = Gevent.Spawn(async () =>
            {
                using (scope = Timeout.StartNew(1))
                {
                    await CatchAllWorker(log);
                }
            });
            Assert.True(await g.JoinAsync(5));
        });

        Assert.Equal(TimeSpan.FromSeconds(1), _h.Elapsed);
        Assert.Equal(Interrupts.MaxRaises, log.Count); // raised when it fired, then once more
        Assert.All(log, e => Assert.Same(scope, e));
        Assert.Same(scope, g!.Exception); // it died of its timeout, which its code never let out
        Assert.Single(_h.Errors);
    }

    [Fact]
    public void ExpiredScope_RaisesAgainAtTheNextWait_UntilItEnds()
    {
        var trace = new List<string>();
        Timeout? scope = null;
        _h.Run(async () =>
        {
            try
            {
                using (scope = Timeout.StartNew(1))
                {
                    try
                    {
                        await Gevent.Sleep(10);
                    }
                    #pragma warning disable GS0004 // the mistake under test: a literal port of gevent's `except Exception:` loop
                    catch (Exception)
                    {
                        trace.Add("swallowed");
                    }
                    #pragma warning restore GS0004

                    await Gevent.Sleep(10); // still inside the expired scope: raises it again
                    trace.Add("not reached");
                }
            }
            catch (Timeout t) when (t == scope)
            {
                trace.Add("caught outside");
            }

            await Gevent.Sleep(1); // the scope ended: waits are not disturbed any more
            trace.Add("slept");
        });

        Assert.Equal(["swallowed", "caught outside", "slept"], trace);
        Assert.Equal(TimeSpan.FromSeconds(2), _h.Elapsed);
    }

    [Fact]
    public void NestedTimeouts_InnerCaught_OuterStillFires()
    {
        var trace = new List<string>();
        Timeout? outer = null;
        Timeout? inner = null;
        _h.Run(async () =>
        {
            try
            {
                using (outer = Timeout.StartNew(5))
                {
                    try
                    {
                        using (inner = Timeout.StartNew(1))
                        {
                            await Gevent.Sleep(10);
                        }
                    }
                    catch (Timeout t) when (t == inner)
                    {
                        trace.Add("inner at " + _h.Elapsed.TotalSeconds);
                    }

                    await Gevent.Sleep(10);
                }
            }
            catch (Timeout t) when (t == outer)
            {
                trace.Add("outer at " + _h.Elapsed.TotalSeconds);
            }
        });

        Assert.Equal(["inner at 1", "outer at 5"], trace);
    }

    [Fact]
    public void BothNestedScopesExpired_TheOuterIsRaised()
    {
        Exception? caught = null;
        Timeout? outer = null;
        _h.Run(async () =>
        {
            try
            {
                using (outer = Timeout.StartNew(2))
                {
                    using (Timeout.StartNew(1))
                    {
                        try
                        {
                            await Gevent.Sleep(10); // the inner fires at 1 s and is swallowed
                        }
                        catch (Timeout)
                        {
                        }

                        try
                        {
                            await Gevent.Sleep(0.5); // raised again (the inner still stands): swallowed again
                        }
                        catch (Timeout)
                        {
                        }

                        using (Gevent.Shield())
                        {
                            await Gevent.Sleep(3); // the outer fires at 2 s, held off here
                        }

                        await Gevent.Sleep(10); // both stand: the outer one is raised, it ends more
                    }
                }
            }
            catch (Timeout t)
            {
                caught = t;
            }
        });

        Assert.Same(outer, caught);
    }

    [Fact]
    public void TimeoutCancelledByHand_AfterItFired_StopsInterrupting()
    {
        var trace = new List<string>();
        _h.Run(async () =>
        {
            var t = Timeout.StartNew(1);
            try
            {
                await Gevent.Sleep(10);
            }
            catch (Timeout)
            {
                trace.Add("timed out");
            }
            finally
            {
                t.Cancel();
            }

            await Gevent.Sleep(1);
            trace.Add("slept");
        });

        Assert.Equal(["timed out", "slept"], trace);
    }

    [Fact]
    public void GroupKill_EndsCatchAllMembers()
    {
        var log = new List<Exception>();
        bool allDead = false;
        _h.Run(async () =>
        {
            var group = new Group();
            for (int i = 0; i < 3; i++)
            {
                group.Spawn(() => CatchAllWorker(log));
            }

            await Gevent.Sleep(0.35);
            allDead = await group.KillAsync(null, 1);
        });

        Assert.True(allDead);
        Assert.Empty(_h.Errors);
    }

    [Fact]
    public void PoolKill_EndsCatchAllMembers()
    {
        var log = new List<Exception>();
        bool allDead = false;
        _h.Run(async () =>
        {
            var pool = new Pool(2);
            pool.Spawn(() => CatchAllWorker(log));
            pool.Spawn(() => CatchAllWorker(log));
            await Gevent.Sleep(0.35);
            allDead = await pool.KillAsync(null, 1);
            Assert.Equal(2, pool.FreeCount);
        });

        Assert.True(allDead);
    }

    [Fact]
    public void ShieldsEndInReverseOrder()
    {
        _h.Run(async () =>
        {
            ShieldScope outer = Gevent.Shield();
            ShieldScope inner = Gevent.Shield();
            Assert.Throws<InvalidOperationException>(() => outer.Dispose());
            inner.Dispose();
            outer.Dispose();
            await Gevent.Sleep(0);
        });
    }
}
