using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Primitives.Contracts;

/// <summary>
/// The semantics every blocking API shares (gevent's AbstractGenericWaitTestCase, Channels'
/// ChannelTestBase): returns when signalled; honours its timeout and the Timeout scope; honours
/// Kill mid-wait and after the wake but before it ran, leaving the primitive consistent; wakes in
/// FIFO order; honours its cancellation token. Each blocking API gets a subclass.
/// </summary>
public abstract class WaitContract
{
    /// <summary>Creates the primitive in its "a wait would block" state; runs inside the hub's main greenlet.</summary>
    protected abstract Task CreateAsync();

    /// <summary>The blocking call: true when it succeeded, false when its own timeout elapsed.</summary>
    protected abstract ValueTask<bool> WaitAsync(TimeSpan? timeout, CancellationToken cancellationToken);

    /// <summary>Makes one waiter (or, for <see cref="WakesAll"/>, every waiter) succeed. Called from main.</summary>
    protected abstract void Signal();

    /// <summary>After a signal nobody consumed: the resource is still there (a non-blocking attempt succeeds).</summary>
    protected abstract bool ResourceAvailable();

    /// <summary>True if one signal releases every waiter (Event-like).</summary>
    protected virtual bool WakesAll => false;

    /// <summary>True if a waiter killed after its wake keeps what it got (the kill is raised later).</summary>
    protected virtual bool WakeStandsOnKill => false;

    /// <summary>Waiters currently blocked, as the primitive counts them.</summary>
    protected abstract int BlockedCount { get; }

    private static HubHarness Run(Func<Task> body) => Prim.Run(body);

    [Fact]
    public void Wait_ReturnsTrue_WhenSignalled()
    {
        Run(async () =>
        {
            await CreateAsync();
            Greenlet<bool> w = Prim.Go(() => WaitAsync(null, default).AsTask());
            await Prim.Settle();
            Assert.False(w.Ready);
            Assert.Equal(1, BlockedCount);
            Signal();
            Assert.True(await w);
        });
    }

    [Fact]
    public void Signal_SchedulesTheWaiter_AndDoesNotRunItInline()
    {
        Run(async () =>
        {
            await CreateAsync();
            bool resumed = false;
            Greenlet w = Prim.Go(async () =>
            {
                Assert.True(await WaitAsync(null, default));
                resumed = true;
            });
            await Prim.Settle();
            Signal();
            Assert.False(resumed, "the waiter ran inside the call that woke it; wake-ups must be scheduled on the hub");
            Assert.True(w.State is GreenletState.Waiting or GreenletState.Woken, $"the waiter is {w.State} right after the signal: its wait must only be scheduled to end");
            await w.GetAsync();
            Assert.True(resumed);
        });
    }

    [Fact]
    public void Wait_WithTimeout_SignalledInTime_ReturnsTrue_AndItsTimerLeavesNoTrace()
    {
        HubHarness h = Run(async () =>
        {
            await CreateAsync();
            Greenlet<bool> w = Prim.Go(() => WaitAsync(TimeSpan.FromSeconds(5), default).AsTask());
            await Gevent.Sleep(1);
            Signal();
            Assert.True(await w);
            await Gevent.Sleep(10); // past the timer the wait had armed
            Assert.Equal(0, BlockedCount);
        });
        Assert.Empty(h.Errors);
        Assert.Equal(TimeSpan.FromSeconds(11), h.Elapsed);
    }

    [Fact]
    public void Wait_WithTimeout_ReturnsFalseAfterTheTimeout_AndLeavesNoWaiter()
    {
        HubHarness h = Run(async () =>
        {
            await CreateAsync();
            Assert.False(await WaitAsync(TimeSpan.FromSeconds(2), default));
            Assert.Equal(0, BlockedCount);
        });
        Assert.Equal(TimeSpan.FromSeconds(2), h.Elapsed);
    }

    [Fact]
    public void ManyWaitersTimingOut_LeaveNoGhostWaiter()
    {
        Run(async () =>
        {
            await CreateAsync();

            // Enough to make the waiter list compact its stale entries while they leave.
            List<Greenlet<bool>> ws = Enumerable.Range(0, 12).Select(_ => Prim.Go(() => WaitAsync(TimeSpan.FromSeconds(1), default).AsTask())).ToList();
            await Gevent.JoinAllAsync(ws);
            Assert.All(ws, w => Assert.False(w.Value));
            Assert.Equal(0, BlockedCount);

            Greenlet<bool> next = Prim.Go(() => WaitAsync(null, default).AsTask());
            await Prim.Settle();
            Assert.Equal(1, BlockedCount);
            Signal();
            Assert.True(await next);
        });
    }

    [Fact]
    public void Wait_WithZeroTimeout_DoesNotBlock()
    {
        HubHarness h = Run(async () =>
        {
            await CreateAsync();
            Assert.False(await WaitAsync(TimeSpan.Zero, default));
            Assert.Equal(0, BlockedCount);
        });
        Assert.Equal(TimeSpan.Zero, h.Elapsed);
    }

    [Fact]
    public void Wait_InsideTimeoutScope_ThrowsThatTimeout()
    {
        Run(async () =>
        {
            await CreateAsync();
            var scope = Timeout.StartNew(1);
            Timeout caught = await Assert.ThrowsAsync<Timeout>(async () =>
            {
                using (scope)
                {
                    await WaitAsync(null, default);
                }
            });
            Assert.Same(scope, caught);
            Assert.Equal(0, BlockedCount);
        });
    }

    [Fact]
    public void Wait_KilledWhileWaiting_TakesNothing_AndTheNextWaiterGetsTheSignal()
    {
        Run(async () =>
        {
            await CreateAsync();
            Greenlet<bool> victim = Prim.Go(() => WaitAsync(null, default).AsTask());
            await Prim.Settle();
            await victim.KillAsync();
            Assert.IsType<GreenletExit>(((Greenlet)victim).Value);
            Assert.Equal(0, BlockedCount);

            Greenlet<bool> next = Prim.Go(() => WaitAsync(null, default).AsTask());
            await Prim.Settle();
            Signal();
            Assert.True(await next);
        });
    }

    [Fact]
    public void Wait_KilledAfterWakeBeforeItRan_LosesNothing()
    {
        Run(async () =>
        {
            await CreateAsync();
            bool returned = false;
            Greenlet victim = Prim.Go(async () =>
            {
                returned = await WaitAsync(null, default);
            });
            await Prim.Settle();
            Signal();
            victim.Kill(); // woken (scheduled) but has not run yet
            await victim.JoinAsync();
            await Prim.Settle();
            if (WakeStandsOnKill)
            {
                Assert.True(returned); // what it was handed stays handed; the kill comes at its next wait
            }
            else
            {
                Assert.False(returned);
                Assert.IsType<GreenletExit>(((Greenlet)victim).Value);
                Assert.True(ResourceAvailable(), "the signal handed to the killed waiter must not be lost");
            }
        });
    }

    [Fact]
    public void Waiters_AreWoken_InTheOrderTheyStartedWaiting()
    {
        Run(async () =>
        {
            await CreateAsync();
            var order = new List<int>();
            var waiters = new List<Greenlet>();
            for (int i = 0; i < 4; i++)
            {
                int n = i;
                waiters.Add(Prim.Go(async () =>
                {
                    Assert.True(await WaitAsync(null, default));
                    order.Add(n);
                }));
            }

            await Prim.Settle();
            Assert.Equal(4, BlockedCount);
            for (int i = 0; i < (WakesAll ? 1 : 4); i++)
            {
                Signal();
                await Prim.Settle();
            }

            await Gevent.JoinAllAsync(waiters);
            Assert.Equal(new[] { 0, 1, 2, 3 }, order);
        });
    }

    [Fact]
    public void Wait_CancelledByToken_ThrowsOperationCanceled_AndLeavesNoWaiter()
    {
        Run(async () =>
        {
            await CreateAsync();
            using var cts = new CancellationTokenSource();
            Greenlet<bool> w = Prim.Go(() => WaitAsync(null, cts.Token).AsTask());
            await Prim.Settle();
            cts.Cancel();
            await w.JoinAsync();
            Assert.IsAssignableFrom<OperationCanceledException>(w.Exception);
            Assert.Equal(0, BlockedCount);

            Greenlet<bool> next = Prim.Go(() => WaitAsync(null, default).AsTask());
            await Prim.Settle();
            Signal();
            Assert.True(await next);
        });
    }

    [Fact]
    public void Wait_WithAlreadyCancelledToken_Throws()
    {
        Run(async () =>
        {
            await CreateAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await WaitAsync(null, new CancellationToken(true)));
            Assert.Equal(0, BlockedCount);
        });
    }
}
