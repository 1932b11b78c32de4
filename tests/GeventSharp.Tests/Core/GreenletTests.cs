using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Core;

public class GreenletTests
{
    private readonly HubHarness _h = new();

    [Fact]
    public void Spawn_StartsOnlyWhenTheSpawnerYields_InSpawnOrder()
    {
        var log = new List<string>();
        _h.Run(async () =>
        {
            Gevent.Spawn(() => log.Add("a"));
            Gevent.Spawn(() => log.Add("b"));
            Gevent.Spawn(() => log.Add("c"));
            log.Add("spawned");
            await Gevent.Sleep(0);
            log.Add("main again");
        });

        Assert.Equal(new[] { "spawned", "a", "b", "c", "main again" }, log);
    }

    [Fact]
    public void SleepZero_GoesToTheBackOfTheQueue_RoundRobin()
    {
        var log = new List<string>();
        _h.Run(async () =>
        {
            async Task Worker(string name)
            {
                for (int i = 0; i < 3; i++)
                {
                    log.Add($"{name}{i}");
                    await Gevent.Sleep(0);
                }
            }

            await Gevent.JoinAllAsync(new[] { Gevent.Spawn(Worker, "a"), Gevent.Spawn(Worker, "b"), Gevent.Spawn(Worker, "c") });
        });

        Assert.Equal(new[] { "a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2" }, log);
    }

    [Fact]
    public void States_FollowTheGreenletsLife()
    {
        _h.Run(async () =>
        {
            var g = new Greenlet<int>(async () => { await Gevent.Sleep(1); return 7; });
            Assert.False(g.Started);
            Assert.False(g.Ready);
            g.Start();
            Assert.True(g.Started);
            await Gevent.Sleep(0);
            Assert.True(g.Started);
            Assert.False(g.Ready);
            Assert.False(g.Successful);
            await g.JoinAsync();
            Assert.False(g.Started); // as gevent: started is false once dead
            Assert.True(g.Ready);
            Assert.True(g.Ready);
            Assert.True(g.Successful);
            Assert.Equal(7, g.Value);
            Assert.Equal(7, ((Greenlet)g).Value);
            Assert.Null(g.Exception);
        });
    }

    [Fact]
    public void Exception_NeverEscapesTheHub_IsStoredAndReportedOnce()
    {
        Greenlet? failed = null;
        _h.Run(async () =>
        {
            failed = Gevent.Spawn(() => throw new InvalidOperationException("boom"));
            await failed.JoinAsync();
            await Gevent.Sleep(1);
        });

        Assert.NotNull(failed);
        Assert.False(failed!.Successful);
        Assert.IsType<InvalidOperationException>(failed.Exception);
        var (g, e) = Assert.Single(_h.Errors);
        Assert.Same(failed, g);
        Assert.Same(failed.Exception, e);
    }

    [Fact]
    public void Report_HappensWhenTheGreenletDies_NotWhenSomeoneLooks()
    {
        var log = new List<string>();
        var h = new HubHarness();
        Gevent.Run(
            async () =>
            {
                Gevent.Spawn(() => throw new Exception("x"));
                log.Add("spawned");
                await Gevent.Sleep(1);
                log.Add("later");
            },
            new HubOptions { TimeProvider = h.Clock, ErrorHandler = (g, e) => log.Add("reported " + e.Message) });

        Assert.Equal(new[] { "spawned", "reported x", "later" }, log);
    }

    [Fact]
    public async Task Get_RethrowsWithTheOriginalStack()
    {
        Exception? caught = null;
        _h.Run(async () =>
        {
            Greenlet<int> g = Gevent.Spawn(ThrowDeep);
            try
            {
                await g.GetAsync();
            }
            catch (Exception e) when (e is not GreenletExit and not Timeout)
            {
                caught = e;
            }
        });

        Assert.IsType<ArithmeticException>(caught);
        Assert.Contains(nameof(ThrowDeep), caught!.StackTrace);
        await Task.CompletedTask;
    }

    private static int ThrowDeep() => throw new ArithmeticException("deep");

    [Fact]
    public void Await_ReturnsTheValue_OrRethrows()
    {
        _h.Run(async () =>
        {
            Assert.Equal("v", await Gevent.Spawn(() => "v"));
            Greenlet bad = Gevent.Spawn(async () => { await Gevent.Sleep(0.5); throw new FormatException(); });
            await Assert.ThrowsAsync<FormatException>(async () => await bad.GetAsync());
        });
    }

    [Fact]
    public void Get_OnARunningGreenlet_ThrowsTimeoutWithGeventsEmptyMessage_AtOnce()
    {
        _h.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(() => Gevent.Sleep(5).AsTask());
            Greenlet<int> typed = Gevent.Spawn(async () => { await Gevent.Sleep(5); return 1; });
            Timeout t = Assert.Throws<Timeout>(() => g.Get());
            Assert.Equal(string.Empty, t.Message); // gevent: str(Timeout) of get(block=False) is ''
            Assert.Equal(string.Empty, Assert.Throws<Timeout>(() => typed.Get()).Message);
            Assert.Equal(string.Empty, Assert.Throws<Timeout>(() => ((Greenlet)typed).Get()).Message);
            Assert.Equal(TimeSpan.Zero, _h.Elapsed);
            await Assert.ThrowsAsync<Timeout>(async () => await g.GetAsync(timeout: TimeSpan.FromSeconds(1)));
            Assert.Equal(TimeSpan.FromSeconds(1), _h.Elapsed);
        });
    }

    [Fact]
    public void Get_OnADeadGreenlet_ReturnsItsValue_OrRethrowsItsException()
    {
        _h.Run(async () =>
        {
            Greenlet<int> ok = Gevent.Spawn(() => 42);
            var boom = new FormatException("boom");
            Greenlet<int> bad = Gevent.Spawn<int>(() => throw boom);
            await Gevent.JoinAllAsync(new Greenlet[] { ok, bad });
            Assert.Equal(42, ok.Get());
            Assert.Equal(42, ((Greenlet)ok).Get());
            Assert.Same(boom, Assert.Throws<FormatException>(() => bad.Get()));
            Assert.Same(boom, Assert.Throws<FormatException>(() => ((Greenlet)bad).Get()));
        });
    }

    [Fact]
    public void Kill_BeforeStart_NeverRuns_AndCountsAsSuccess()
    {
        bool ran = false;
        _h.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(() => { ran = true; });
            g.Kill();
            await Gevent.Sleep(0);
            Assert.True(g.Ready);
            Assert.False(g.Started);
            Assert.True(g.Successful);
            Assert.IsType<GreenletExit>(g.Value);
            Assert.Null(g.Exception);
        });

        Assert.False(ran);
        Assert.Empty(_h.Errors);
    }

    [Fact]
    public void Kill_RunningGreenlet_RunsCatchAndFinally_AtItsWait()
    {
        var log = new List<string>();
        _h.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(async () =>
            {
                using var resource = new Disposable(() => log.Add("disposed"));
                try
                {
                    log.Add("sleeping");
                    await Gevent.Sleep(100);
                    log.Add("never");
                }
                catch (GreenletExit)
                {
                    log.Add("caught exit");
                    throw;
                }
                finally
                {
                    log.Add("finally");
                }
            });
            await Gevent.Sleep(1);
            Assert.True(await g.KillAsync());
            log.Add("dead");
            Assert.True(g.Successful);
        });

        Assert.Equal(new[] { "sleeping", "caught exit", "finally", "disposed", "dead" }, log);
        Assert.Equal(TimeSpan.FromSeconds(1), _h.Elapsed);
    }

    private sealed class Disposable(Action onDispose) : IDisposable
    {
        public void Dispose() => onDispose();
    }

    [Fact]
    public void Kill_TypedGreenlet_CountsAsSuccess_AwaitReturnsDefault_AndTheExitIsTheBaseValue()
    {
        _h.Run(async () =>
        {
            Greenlet<int> g = Gevent.Spawn(async () => { await Gevent.Sleep(10); return 42; });
            await Gevent.Sleep(1);
            Assert.True(await g.KillAsync());
            Assert.True(g.Successful);
            Assert.Null(g.Exception);
            Assert.Equal(0, g.Value);                            // typed: nothing was returned
            Assert.IsType<GreenletExit>(((Greenlet)g).Value);    // gevent's value: the exit
            Assert.Equal(0, await g);                            // does not rethrow the exit
            Assert.IsType<GreenletExit>(await ((Greenlet)g).GetAsync());

            Greenlet<string> unstarted = Gevent.Spawn(() => "never");
            unstarted.Kill();
            Assert.Null(await unstarted);
            Assert.IsType<GreenletExit>(((Greenlet)unstarted).Value);
        });

        Assert.Empty(_h.Errors);
    }

    [Fact]
    public void JoinOrLink_AGreenletOfAnotherHub_ThrowsAndSaysWhatToDo()
    {
        Greenlet? foreign = null;
        using var created = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var other = new Thread(() => new HubHarness().Run(async () =>
        {
            foreign = Gevent.Spawn(() => Gevent.Sleep(1).AsTask());
            created.Set();
            #pragma warning disable GS0001 // the test holds this hub on purpose until the other thread has looked at it
            release.Wait();
            #pragma warning restore GS0001
            await foreign.JoinAsync();
        }));
        other.Start();
        created.Wait();
        try
        {
            _h.Run(async () =>
            {
                var join = Assert.Throws<InvalidOperationException>(() => { _ = foreign!.JoinAsync(); });
                Assert.Contains("hub.Post", join.Message);
                Assert.Contains(foreign!.ToString(), join.Message);
                Assert.Throws<InvalidOperationException>(() => foreign.Link(_ => { }));
                Assert.Throws<InvalidOperationException>(() => foreign.Rawlink(_ => { }));
                await Assert.ThrowsAsync<InvalidOperationException>(async () => await foreign.GetAsync());
                Assert.Contains("hub.Post", Assert.Throws<InvalidOperationException>(() => foreign.Kill()).Message);
            });
        }
        finally
        {
            release.Set();
            other.Join();
        }
    }

    [Fact]
    public void DurationOverloads_SecondsAndTimeSpan_BehaveAlike()
    {
        var started = new List<string>();
        _h.Run(async () =>
        {
            Greenlet a = Gevent.SpawnLater(TimeSpan.FromSeconds(1), () => started.Add($"action@{_h.Elapsed.TotalSeconds}"));
            Greenlet<int> b = Gevent.SpawnLater(2, () => 2);
            Greenlet<int> c = Gevent.SpawnLater(TimeSpan.FromSeconds(3), async () => { await Gevent.Sleep(0); return 3; });
            Greenlet<int> d = Gevent.SpawnLater(TimeSpan.FromSeconds(4), () => 4);
            Assert.Equal(new[] { 2, 3, 4 }, new[] { await b, await c, await d });
            Assert.Equal(TimeSpan.FromSeconds(4), _h.Elapsed);
            Assert.True(a.Ready);

            Greenlet<int> slow = Gevent.Spawn(async () => { await Gevent.Sleep(10); return 1; });
            await Assert.ThrowsAsync<Timeout>(async () => await slow.GetAsync(1));
            await Assert.ThrowsAsync<Timeout>(async () => await ((Greenlet)slow).GetAsync(1));
            Assert.Equal(TimeSpan.FromSeconds(6), _h.Elapsed);
            Assert.True(await slow.KillAsync(null, 1));
            Assert.Equal(TimeSpan.FromSeconds(6), _h.Elapsed);
        });

        Assert.Equal(new[] { "action@1" }, started);
    }

    [Fact]
    public void Kill_WrappedByALibrary_IsStillTheKill_NotAReportedCrash()
    {
        _h.Run(async () =>
        {
            // What SslStream does with an exception from its inner stream: wraps it in an IOException.
            Greenlet g = Gevent.Spawn(async () =>
            {
                try
                {
                    await Gevent.Sleep(100);
                }
                catch (GreenletExit e)
                {
                    throw new IOException("The read operation failed, see inner exception.", e);
                }
            });
            await Gevent.Sleep(1);
            Assert.True(await g.KillAsync());
            Assert.True(g.Successful);
            Assert.IsType<GreenletExit>(g.Value);

            Greenlet custom = Gevent.Spawn(async () =>
            {
                try
                {
                    await Gevent.Sleep(100);
                }
                catch (TimeZoneNotFoundException e)
                {
                    throw new IOException("wrapped", e);
                }
            });
            await Gevent.Sleep(1);
            var killWith = new TimeZoneNotFoundException("custom kill");
            await custom.KillAsync(killWith);
            Assert.Same(killWith, custom.Exception);

            Greenlet failing = Gevent.Spawn(() => throw new IOException("a real failure", new InvalidDataException()));
            await failing.JoinAsync();
            Assert.IsType<IOException>(failing.Exception);
        });

        Assert.Equal(2, _h.Errors.Count); // the custom kill (a failure, as in gevent) and the real one; not the wrapped GreenletExit
    }

    [Fact]
    public void Kill_NonBlocking_ReturnsBeforeTheGreenletDies()
    {
        _h.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(() => Gevent.Sleep(10).AsTask());
            await Gevent.Sleep(0);
            g.Kill();
            Assert.False(g.Ready);
            await Gevent.Sleep(0);
            Assert.True(g.Ready);
        });
    }

    [Fact]
    public void Kill_WithACustomException_IsAFailure_AndReported()
    {
        _h.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(() => Gevent.Sleep(10).AsTask());
            await Gevent.Sleep(0);
            await g.KillAsync(new TimeZoneNotFoundException("custom"));
            Assert.False(g.Successful);
            Assert.IsType<TimeZoneNotFoundException>(g.Exception);
        });

        Assert.IsType<TimeZoneNotFoundException>(Assert.Single(_h.Errors).Exception);
    }

    [Fact]
    public void KillAsync_WithTimeout_ReturnsFalse_WhenTheGreenletWillNotDie()
    {
        _h.Run(async () =>
        {
            Greenlet stubborn = Gevent.Spawn(async () =>
            {
                try
                {
                    await Gevent.Sleep(10);
                }
                catch (GreenletExit)
                {
                    // Ignores the kill for a while. The exit stands, so only a shielded wait can do
                    // that (an unshielded one would raise it again).
                    using (Gevent.Shield())
                    {
                        await Gevent.Sleep(5);
                    }
                }
            });
            await Gevent.Sleep(0);
            Assert.False(await stubborn.KillAsync(timeout: TimeSpan.FromSeconds(1)));
            Assert.True(await stubborn.JoinAsync());
        });
    }

    [Fact]
    public void Kill_Self_ThrowsAtOnce()
    {
        _h.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(() => Greenlet.Current!.Kill());
            await g.JoinAsync();
            Assert.True(g.Successful);
            Assert.IsType<GreenletExit>(g.Value);
        });
    }

    [Fact]
    public void Links_RunOnTheHub_AfterDeath_InOrder()
    {
        var log = new List<string>();
        _h.Run(async () =>
        {
            Greenlet ok = Gevent.Spawn(() => log.Add("ok runs"));
            ok.Link(g => log.Add("link 1"));
            ok.LinkValue(g => log.Add("link value"));
            ok.LinkException(g => log.Add("never: exception link on success"));
            Action<Greenlet> removed = g => log.Add("never: unlinked");
            ok.Link(removed);
            Assert.True(ok.Unlink(removed));
            ok.Link(g => log.Add("link 2"));

            Greenlet bad = Gevent.Spawn(() => throw new Exception());
            bad.LinkException(g => log.Add("bad exception link"));
            bad.LinkValue(g => log.Add("never: value link on failure"));
            await Gevent.Sleep(1);
            ok.Link(g => log.Add("late link runs at once"));
            await Gevent.Sleep(0);
        });

        Assert.Equal(new[] { "ok runs", "link 1", "link value", "link 2", "bad exception link", "late link runs at once" }, log);
    }

    [Fact]
    public void Join_WithTimeout_ReturnsFalse_AndLeavesNoTrace()
    {
        _h.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(() => Gevent.Sleep(5).AsTask());
            Assert.False(await g.JoinAsync(TimeSpan.FromSeconds(1)));
            Assert.Equal(0, g.WaiterCount);
            Assert.True(await g.JoinAsync(10));
            Assert.Equal(TimeSpan.FromSeconds(5), _h.Elapsed);
        });
    }

    [Fact]
    public void Join_IsCancelledByItsToken()
    {
        _h.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(() => Gevent.Sleep(5).AsTask());
            using var cts = new CancellationTokenSource();
            Gevent.Spawn(async () => { await Gevent.Sleep(1); cts.Cancel(); });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await g.JoinAsync(cancellationToken: cts.Token));
            Assert.Equal(TimeSpan.FromSeconds(1), _h.Elapsed);
        });
    }

    [Fact]
    public void SpawnLater_StartsAfterTheDelay()
    {
        TimeSpan startedAt = TimeSpan.MinValue;
        _h.Run(async () =>
        {
            Greenlet g = Gevent.SpawnLater(2.5, () => { startedAt = _h.Elapsed; });
            Assert.True(g.Started);
            await g.JoinAsync();
        });

        Assert.Equal(TimeSpan.FromSeconds(2.5), startedAt);
    }

    [Fact]
    public void SpawnLater_KilledBeforeItsTime_NeverRuns()
    {
        bool ran = false;
        _h.Run(async () =>
        {
            Greenlet g = Gevent.SpawnLater(2, () => { ran = true; });
            await Gevent.Sleep(1);
            g.Kill();
            await Gevent.Sleep(5);
        });

        Assert.False(ran);
    }

    [Fact]
    public void Start_Twice_RunsOnce()
    {
        _h.Run(async () =>
        {
            int runs = 0;
            var g = new Greenlet(() => runs++);
            g.Start();
            g.Start(); // a no-op, as gevent's start() on a started greenlet
            await g.JoinAsync();
            Assert.Equal(1, runs);
        });
    }

    [Fact]
    public void ToString_NamesTheFunction_AndCanBeRenamed()
    {
        _h.Run(async () =>
        {
            static void Worker()
            {
            }

            Greenlet g = Gevent.Spawn(Worker);
            Assert.Matches(@"^<Greenlet ""Worker"" #\d+>$", g.ToString());
            Greenlet lambda = Gevent.Spawn(() => { });
            Assert.Matches(@"^<Greenlet ""ToString_NamesTheFunction_AndCanBeRenamed\.lambda#\d+"" #\d+>$", lambda.ToString());
            lambda.Name = "renamed";
            Assert.Contains("\"renamed\"", lambda.ToString());
            Assert.True(lambda.Id > g.Id);
            await Gevent.JoinAllAsync(new[] { g, lambda });
        });
    }

    [Fact]
    public void Current_IsTheRunningGreenlet_AlsoAfterForeignAwaits()
    {
        _h.Run(async () =>
        {
            Greenlet main = Greenlet.Current!;
            Assert.Equal("main", main.Name);
            Greenlet? seen = null;
            Greenlet child = Gevent.Spawn(async () =>
            {
                int hubThread = Environment.CurrentManagedThreadId;
                await Task.Yield();
                await Task.Run(() => Thread.SpinWait(10));
                Assert.Equal(hubThread, Environment.CurrentManagedThreadId);
                seen = Greenlet.Current;
            });
            await child.GetAsync();
            Assert.Same(child, seen);
            Assert.Same(main, Greenlet.Current);
        });
    }

    [Fact]
    public void ValueTaskBody_ThatIsASingleWait_Works()
    {
        _h.Run(async () =>
        {
            Greenlet gate = Gevent.Spawn(() => Gevent.Sleep(3).AsTask());
            var waiters = Enumerable.Range(0, 10).Select(_ => Gevent.Spawn(async () => await gate.JoinAsync())).ToList();
            await Gevent.JoinAllAsync(waiters);
            Assert.All(waiters, w => Assert.True(w.Successful));
            Assert.Equal(TimeSpan.FromSeconds(3), _h.Elapsed);
        });
    }

    [Fact]
    public void WaitingOnTwoThingsAtOnce_IsRejected_WithAClearMessage()
    {
        _h.Run(async () =>
        {
            Greenlet a = Gevent.Spawn(() => Gevent.Sleep(1).AsTask());
            ValueTask<bool> first = a.JoinAsync();
            var e = Assert.Throws<InvalidOperationException>(() => { _ = Gevent.Sleep(1); });
            Assert.Contains("one thing at a time", e.Message);
            await first;
        });
    }

    [Fact]
    public void Yield_IsSleepZero_RoundRobin()
    {
        var log = new List<string>();
        _h.Run(async () =>
        {
            async Task Worker(string name)
            {
                for (int i = 0; i < 2; i++)
                {
                    log.Add($"{name}{i}");
                    await Gevent.Yield();
                }
            }

            await Gevent.JoinAllAsync(new[] { Gevent.Spawn(Worker, "a"), Gevent.Spawn(Worker, "b") });
        });

        Assert.Equal(new[] { "a0", "b0", "a1", "b1" }, log);
    }

    [Fact]
    public void Yield_RaisesAKillThatArrivedWhileQueued()
    {
        var log = new List<string>();
        _h.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(async () =>
            {
                try
                {
                    while (true)
                    {
                        await Gevent.Yield();
                    }
                }
                finally
                {
                    log.Add("finally");
                }
            });
            await Gevent.Yield();
            Assert.True(await g.KillAsync());
            Assert.True(g.Successful);
        });

        Assert.Equal(new[] { "finally" }, log);
    }

    [Fact]
    public void Yield_OutsideAGreenlet_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => { _ = Gevent.Yield(); });
    }

    [Fact]
    public void KillDuringAForeignAwait_IsRaisedAtTheNextYield()
    {
        var log = new List<string>();
        _h.Run(async () =>
        {
            var tcs = new TaskCompletionSource();
            Greenlet g = Gevent.Spawn(async () =>
            {
                await tcs.Task; // ignores the greenlet's token
                log.Add("foreign await done");
                try
                {
                    await Gevent.Yield();
                    log.Add("never");
                }
                catch (GreenletExit)
                {
                    log.Add("exit raised at the yield");
                    throw;
                }
            });
            await Gevent.Yield();
            g.Kill();
            tcs.SetResult();
            Assert.True(await g.JoinAsync());
            Assert.True(g.Successful);
        });

        Assert.Equal(new[] { "foreign await done", "exit raised at the yield" }, log);
    }
}
