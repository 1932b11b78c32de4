using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

/// <summary>
/// gevent's <c>timeout=Timeout(...)</c> argument (test__api_timeout.py, test__event.py,
/// test__queue.py): a yes/no wait returns false when that timeout fires, a wait for an item
/// raises that very timeout, a custom exception propagates, and the timeout is cancelled afterwards.
/// Every outcome was checked against real gevent 22.10.
/// </summary>
public sealed class TimeoutObjectArgumentTests
{
    [Fact]
    public void Join_ReturnsFalse_WhenTheTimeoutObjectFires_AndCancelsIt()
    {
        var h = Run(async () =>
        {
            Greenlet g = Go(async () => await Gevent.Sleep(10));
            var t = new Timeout(0.1);
            Assert.False(await g.JoinAsync(t));
            Assert.False(g.Ready);
            Assert.False(t.Pending);
            g.Kill();
        });
        Assert.Equal(TimeSpan.FromSeconds(0.1), h.Elapsed);
    }

    [Fact]
    public void EventWait_ReturnsFalse_OrTrueWhenSetFirst_AndCancelsTheTimeout()
    {
        Run(async () =>
        {
            var t = new Timeout(0.1);
            Assert.False(await new Event().WaitAsync(t));
            Assert.False(t.Pending);

            var e = new Event();
            Gevent.SpawnLater(0.05, () => e.Set());
            t = new Timeout(5);
            Assert.True(await e.WaitAsync(t));
            Assert.False(t.Pending);
        });
    }

    [Fact]
    public void AlreadyStartedTimeout_KeepsItsDeadline()
    {
        var h = Run(async () =>
        {
            var t = Timeout.StartNew(0.2);
            await Gevent.Sleep(0.1);
            Assert.False(await new Event().WaitAsync(t));
            Assert.False(t.Pending);
        });
        Assert.Equal(TimeSpan.FromSeconds(0.2), h.Elapsed);
    }

    [Fact]
    public void GetsAndPuts_RaiseThatTimeout()
    {
        Run(async () =>
        {
            Greenlet<int> sleeper = Go(async () => { await Gevent.Sleep(10); return 1; });
            var waits = new Func<Timeout, Task>[]
            {
                async t => await new FifoQueue<int>().GetAsync(t),
                async t => await new AsyncResult<int>().GetAsync(t),
                async t => await sleeper.GetAsync(t),
                async t => await ((Greenlet)sleeper).GetAsync(t),
                async t => { var q = new FifoQueue<int>(1); q.TryPut(1); await q.PutAsync(2, t); },
                async t => await new Channel<int>().GetAsync(t),
            };
            foreach (Func<Timeout, Task> wait in waits)
            {
                var t = new Timeout(0.1);
                Timeout raised = await Assert.ThrowsAsync<Timeout>(() => wait(t));
                Assert.Same(t, raised);
                Assert.False(t.Pending);
            }

            sleeper.Kill();
        });
    }

    [Fact]
    public void ACustomException_Propagates_FromAYesNoWaitToo()
    {
        Run(async () =>
        {
            await Assert.ThrowsAsync<ArgumentException>(async () => await new Event().WaitAsync(new Timeout(0.1, typeof(ArgumentException))));
            Greenlet g = Go(async () => await Gevent.Sleep(10));
            await Assert.ThrowsAsync<ArgumentException>(async () => await g.JoinAsync(new Timeout(0.1, typeof(ArgumentException))));
            g.Kill();
        });
    }

    [Fact]
    public void SemaphoreAcquire_ReturnsFalse_WhenTheTimeoutFires()
    {
        Run(async () =>
        {
            var sem = new Semaphore(1);
            Assert.True(await sem.AcquireAsync(new Timeout(0.1)));
            Assert.False(await sem.AcquireAsync(new Timeout(0.1)));
        });
    }
}
