using GeventSharp.Tests.Primitives;
using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Core;

/// <summary>
/// The core hook behind "nothing lost": a greenlet woken with something handed to it (an item,
/// a permit) and then killed or timed out before it ran either gives it back, or keeps it and
/// takes the exception at its next wait.
/// </summary>
public sealed class WakeHandoffTests
{
    private sealed class Recorder(bool stands) : IWakeHandoff
    {
        public List<Greenlet> Abandoned { get; } = new();

        public bool OnWakeAbandoned(Greenlet greenlet)
        {
            Abandoned.Add(greenlet);
            return stands;
        }
    }

    private sealed class Waitee : Waitable
    {
        public override bool Ready => false;

        public WaitList List => Waiters;
    }

    [Fact]
    public void KillAfterAHandoffWake_AsksTheHandoff_AndTheExceptionReplacesTheWake()
    {
        Run(async () =>
        {
            var w = new Waitee();
            var rec = new Recorder(stands: false);
            bool? result = null;
            Greenlet g = Go(async () => result = await Greenlet.Current!.SuspendOn(w, w.List, -1, default));
            await Settle();
            w.List.Dequeue()!.WakeFromList(true, rec);
            g.Kill();
            await g.JoinAsync();
            Assert.Equal(new[] { g }, rec.Abandoned);
            Assert.Null(result);
            Assert.IsType<GreenletExit>(g.Value);
        });
    }

    [Fact]
    public void KillAfterAHandoffThatStands_IsRaisedAtTheNextWait()
    {
        Run(async () =>
        {
            var w = new Waitee();
            var rec = new Recorder(stands: true);
            bool? result = null;
            bool reachedNextWait = false;
            Greenlet g = Go(async () =>
            {
                result = await Greenlet.Current!.SuspendOn(w, w.List, -1, default);
                reachedNextWait = true;
                await Gevent.Sleep(10);
            });
            await Settle();
            w.List.Dequeue()!.WakeFromList(true, rec);
            g.Kill();
            await g.JoinAsync();
            Assert.True(result);
            Assert.True(reachedNextWait);
            Assert.IsType<GreenletExit>(g.Value);
        });
    }

    [Fact]
    public void ASecondKill_AfterAStandingHandoff_DoesNotUndoTheWake()
    {
        Run(async () =>
        {
            var w = new Waitee();
            var rec = new Recorder(stands: true);
            bool? result = null;
            Greenlet g = Go(async () =>
            {
                result = await Greenlet.Current!.SuspendOn(w, w.List, -1, default);
                await Gevent.Sleep(10);
            });
            await Settle();
            w.List.Dequeue()!.WakeFromList(true, rec);
            g.Kill();
            g.Kill(new InvalidOperationException("second"));
            await g.JoinAsync();
            Assert.True(result);
            _ = Assert.Single(rec.Abandoned);
        });
    }

    [Fact]
    public void TimeoutScopeFiringAfterAStandingHandoff_IsDroppedWhenTheScopeEnds()
    {
        var h = new GeventSharp.Testing.HubHarness();
        h.Run(async () =>
        {
            var c = new Channel<int>();
            bool ok = false;
            Timeout? scope = null;
            Greenlet p = Go(async () =>
            {
                using (scope = Timeout.StartNew(0)) // due at the start of the next turn
                {
                    await c.PutAsync(1);
                }

                ok = true;
                await Gevent.Sleep(5); // the deferred Timeout must not surface here
            });
            await Gevent.Sleep(0); // p runs first in this turn and blocks in PutAsync
            Assert.Equal(1, GetNow(c)); // p is woken; its Timeout fires before it runs
            Assert.Equal(GreenletState.Woken, p.State);
            await p.GetAsync();
            Assert.True(ok);
            Assert.True(scope!.Fired);
        });
        Assert.Empty(h.Errors);
    }

    [Fact]
    public void PlainWake_WithoutHandoff_IsReplacedByTheKill()
    {
        Run(async () =>
        {
            var e = new Event();
            bool returned = false;
            Greenlet g = Go(async () => { await e.WaitAsync(); returned = true; });
            await Settle();
            e.Set();
            g.Kill();
            await g.JoinAsync();
            Assert.False(returned);
        });
    }

    [Fact]
    public void TheHandoffIsForgotten_OnceTheGreenletResumes()
    {
        Run(async () =>
        {
            var w = new Waitee();
            var rec = new Recorder(stands: false);
            var gate = new Event();
            Greenlet g = Go(async () =>
            {
                await Greenlet.Current!.SuspendOn(w, w.List, -1, default);
                await gate.WaitAsync();
            });
            await Settle();
            w.List.Dequeue()!.WakeFromList(true, rec);
            await Settle();
            gate.Set();
            g.Kill(); // woken by the event now: the old handoff must not be asked
            await g.JoinAsync();
            Assert.Empty(rec.Abandoned);
        });
    }

    [Fact]
    public void AwaitingALibraryValueTaskTwice_ThrowsAClearError()
    {
        Run(async () =>
        {
            var q = new FifoQueue<int>();
            ValueTask<int> get = q.GetAsync();
            Fork(() => { Assert.True(q.TryPut(1)); return Task.CompletedTask; });
            Assert.Equal(1, await get);
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await get);
        });
    }
}
