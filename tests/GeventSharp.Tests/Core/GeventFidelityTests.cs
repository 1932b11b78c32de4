using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// Behaviours pinned against real gevent 22.10 (issue 15 "Behaviour that deviates", issue 10 part E).
/// Each test names the gevent test it follows and keeps what gevent printed for the same scenario.
/// </summary>
public sealed class GeventFidelityTests
{
    private readonly HubHarness _h = new();

    // gevent test__greenlet.py TestLink (unlink from a link callback); issue 15 item 1.
    // gevent 22.10: two links on one greenlet, each unlinking the other -> link ['a'], rawlink ['a'].
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ALinkCallback_ThatUnlinksALaterOne_StopsIt(bool raw)
    {
        _h.Run(async () =>
        {
            var calls = new List<string>();
            Greenlet g = Gevent.Spawn(() => { });
            Action<Greenlet>? a = null, b = null;
            Action<Waitable>? ra = null, rb = null;
            a = _ => { calls.Add("a"); g.Unlink(b!); };
            b = _ => { calls.Add("b"); g.Unlink(a!); };
            ra = _ => { calls.Add("a"); g.Unlink(rb!); };
            rb = _ => { calls.Add("b"); g.Unlink(ra!); };
            if (raw)
            {
                g.Rawlink(ra);
                g.Rawlink(rb);
            }
            else
            {
                g.Link(a);
                g.Link(b);
            }

            await Gevent.Sleep(0.01);
            Assert.Equal(new[] { "a" }, calls);
        });
    }

    // gevent 22.10: g dead, g.link(f); g.unlink(f) before the hub runs -> f never called ([]).
    [Fact]
    public void ALinkOnADeadGreenlet_UnlinkedBeforeItRuns_NeverRuns()
    {
        _h.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(() => { });
            await Gevent.Sleep(0);
            int calls = 0;
            Action<Greenlet> f = _ => calls++;
            g.Link(f);
            Assert.True(g.Unlink(f));
            await Gevent.Sleep(0.01);
            Assert.Equal(0, calls);
        });
    }

    // A link that throws is reported, and the links after it still run (gevent: hub.handle_error, then the next).
    [Fact]
    public void ALinkThatThrows_IsReported_AndTheNextStillRuns()
    {
        var calls = new List<string>();
        _h.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(() => { });
            g.Link(_ => throw new InvalidOperationException("link failed"));
            g.Link(_ => calls.Add("second"));
            await Gevent.Sleep(0.01);
        });
        Assert.Equal(new[] { "second" }, calls);
        Assert.Contains(_h.Errors, e => e.Exception.Message == "link failed");
    }

    // gevent test__greenlet.py TestStart (start on a started or dead greenlet); issue 15 item 6.
    // gevent 22.10: g = spawn(f); g.start(); g.start() -> runs once; start() on the dead greenlet -> nothing ("runs 1").
    [Fact]
    public void Start_OnAStartedOrDeadGreenlet_DoesNothing()
    {
        _h.Run(async () =>
        {
            int runs = 0;
            var g = new Greenlet(() => runs++);
            g.Start();
            g.Start();
            g.StartLater(1);
            await Gevent.Sleep(0);
            Assert.True(g.Ready);
            g.Start();
            g.StartLater(TimeSpan.FromSeconds(1));
            await Gevent.Sleep(2);
            Assert.Equal(1, runs);
        });
    }

    // gevent test__hub_join.py / test__api.py (joinall on dead greenlets); issue 15 item 4.
    // gevent 22.10: with Timeout(0): joinall(dead) -> "joinall dead ok 3"; wait(dead) -> "wait dead ok 3".
    [Fact]
    public void JoinAll_OnDeadGreenlets_ReturnsWithoutYielding()
    {
        _h.Run(async () =>
        {
            var gs = Enumerable.Range(0, 3).Select(_ => Gevent.Spawn(() => 1)).ToList();
            await Gevent.Sleep(0);
            using (Timeout.StartNew(0))
            {
                Task<IReadOnlyList<Greenlet>> join = Gevent.JoinAllAsync(gs);
                Assert.True(join.IsCompletedSuccessfully);
                Assert.Equal(3, (await join).Count);
                Assert.Equal(3, (await Gevent.WaitAsync(gs)).Count);
            }
        });
    }

    // gevent test__api.py (zero timeouts); issue 10 E.
    // gevent 22.10, h running, g dead: joinall([h, g], timeout=0) -> [g]; wait(..., timeout=0) -> [g];
    // wait(..., timeout=0, count=1) -> [g]; list(iwait(..., timeout=0)) -> [g].
    [Fact]
    public void AZeroTimeout_ReturnsTheObjectsAlreadyReady()
    {
        _h.Run(async () =>
        {
            Greenlet done = Gevent.Spawn(() => 1);
            await Gevent.Sleep(0);
            Greenlet running = Gevent.Spawn(() => Gevent.Sleep(10));
            Greenlet[] both = [running, done];
            Assert.Equal(new[] { done }, await Gevent.JoinAllAsync(both, 0));
            Assert.Equal(new[] { done }, await Gevent.JoinAllAsync(both, TimeSpan.Zero));
            Assert.Equal(new[] { done }, await Gevent.JoinAllAsync(both, TimeSpan.Zero, raiseError: true));
            Assert.Equal(new[] { done }, await Gevent.WaitAsync(both, 0));
            Assert.Equal(new[] { done }, await Gevent.WaitAsync(both, TimeSpan.Zero, count: 1));
            var each = new List<Greenlet>();
            await foreach (Greenlet g in Gevent.WaitEachAsync(both, TimeSpan.Zero))
            {
                each.Add(g);
            }

            Assert.Equal(new[] { done }, each);
            Assert.Equal(TimeSpan.Zero, _h.Elapsed);
        });
    }

    // gevent 22.10: e set; wait([e], timeout=0.001) -> [e]; list(iwait([e], timeout=0.001)) -> [e].
    [Fact]
    public void AOneMillisecondTimeout_OnASetEvent_ReturnsIt()
    {
        _h.Run(async () =>
        {
            var e = new Event();
            e.Set();
            for (int i = 0; i < 100; i++)
            {
                Assert.Equal(new[] { e }, await Gevent.WaitAsync([e], 0.001));
            }
        });
    }

    // gevent test__greenlet.py (get(block=False) on a running greenlet); issue 10 E.
    // gevent 22.10: get(block=False) -> Timeout, str '' (greenlet and AsyncResult);
    // get(timeout=0.01) -> '0.01 seconds'.
    [Fact]
    public void GetWithoutWaiting_OnAnUnfinishedResult_ThrowsATimeoutWithAnEmptyMessage()
    {
        _h.Run(async () =>
        {
            Greenlet<int> g = Gevent.Spawn(async () => { await Gevent.Sleep(1); return 1; });
            Assert.Equal(string.Empty, Assert.Throws<Timeout>(() => g.Get()).Message);
            Assert.Equal(string.Empty, Assert.Throws<Timeout>(() => ((Greenlet)g).Get()).Message);
            Assert.Equal(string.Empty, Assert.Throws<Timeout>(() => new AsyncResult<int>().Get()).Message);
            Assert.Equal("0.01 seconds", (await Assert.ThrowsAsync<Timeout>(() => g.GetAsync(0.01).AsTask())).Message);
            Assert.Equal("0.01 seconds", (await Assert.ThrowsAsync<Timeout>(() => new AsyncResult<int>().GetAsync(0.01).AsTask())).Message);
        });
    }

    // gevent test__api_timeout.py test_with_timeout; issue 10 E.
    // gevent 22.10: with_timeout(0.05, gevent.sleep, 10, timeout_value='tv') -> 'tv'.
    [Fact]
    public void WithTimeout_TakesALibraryWait_AndATimeoutValue()
    {
        _h.Run(async () =>
        {
            await Assert.ThrowsAsync<Timeout>(() => Gevent.WithTimeoutAsync(0.3, () => Gevent.Sleep(10)));
            Assert.Equal(TimeSpan.FromSeconds(0.3), _h.Elapsed);
            Assert.Equal("tv", await Gevent.WithTimeoutAsync(0.05, SleepThenAsync, "tv"));
            Assert.Equal("done", await Gevent.WithTimeoutAsync(TimeSpan.FromSeconds(20), SleepThenAsync));
            Assert.Equal(7, await Gevent.WithTimeoutAsync(1, async () => { await Gevent.Sleep(0.5); return 7; })); // an async lambda still compiles
            Assert.False(await Timeout.RunSilentlyAsync(0.1, () => Gevent.Sleep(10)));
        });

        static async ValueTask<string> SleepThenAsync()
        {
            await Gevent.Sleep(10);
            return "done";
        }
    }

    // gevent test__api_timeout.py (Timeout(seconds, False)); issue 10 E.
    // gevent 22.10: t = Timeout(0.01, False); with t: sleep(1) -> passes quietly; str(t) '0.01 seconds (silent)'.
    // Outside a with block, gevent's silent timeout still raises (start_new(0.01, False) + sleep -> Timeout).
    [Fact]
    public void ASilentTimeout_CanBeCreatedDirectly()
    {
        _h.Run(async () =>
        {
            var quiet = Timeout.StartNew(0.01, silent: true);
            try
            {
                await Gevent.Sleep(1);
                Assert.Fail("the silent timeout did not fire");
            }
            catch (Timeout t) when (t == quiet)
            {
            }
            finally
            {
                quiet.Cancel();
            }

            Assert.True(quiet.Silent);
            Assert.Equal("0.01 seconds (silent)", quiet.Message);
            Assert.True(new Timeout(TimeSpan.FromSeconds(1), silent: true).Silent);
        });
    }

    // gevent test__greenlet.py (spawn_later with arguments); issue 10 E.
    // gevent 22.10: repr(spawn_later(0, myfunc, 3)) -> '<Greenlet ...: myfunc(3)>'; Greenlet(f, 21).start() -> 42.
    [Fact]
    public void SpawnLater_TakesAnArgument_AndIsNamedAfterTheFunction()
    {
        _h.Run(async () =>
        {
            Greenlet<int> g = Gevent.SpawnLater(1, Double, 21);
            Greenlet h = Gevent.SpawnLater(TimeSpan.FromSeconds(1), Note, "x");
            Assert.Equal("Double", g.Name);
            Assert.Equal("Note", h.Name);
            Assert.Equal(42, await g);
            Assert.Equal(TimeSpan.FromSeconds(1), _h.Elapsed);
        });

        static async Task<int> Double(int x)
        {
            await Gevent.Sleep(0);
            return x * 2;
        }

        static void Note(string s) => Assert.Equal("x", s);
    }

    // gevent test__greenlet.py (Greenlet(f, arg)); issue 10 E.
    // gevent 22.10: g = Greenlet(f, 21); g.start(); g.get() -> 42; repr names 'f(21)'.
    [Fact]
    public void GreenletCreate_TakesAnArgument_StartsUnstarted_AndIsNamedAfterTheFunction()
    {
        _h.Run(async () =>
        {
            var seen = new List<string>();
            Greenlet g = Greenlet.Create(RecordAsync, "x");
            Greenlet s = Greenlet.Create<string>(seen.Add, "y");
            Assert.False(g.Started);
            Assert.Equal("RecordAsync", g.Name);
            Assert.Equal("Add", s.Name);
            g.Start();
            s.Start();
            await Gevent.JoinAllAsync([g, s]);
            Assert.Equal(["y", "x"], seen); // g yields at its Sleep(0), s runs in between

            async Task RecordAsync(string value)
            {
                await Gevent.Sleep(0);
                seen.Add(value);
            }
        });
    }
}
