using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

/// <summary>Primitives are <see cref="Waitable"/>s like greenlets: Gevent.Wait, links and deadlock reports see them.</summary>
public sealed class WaitableInteropTests
{
    [Fact]
    public void GeventWait_ReturnsPrimitivesInTheOrderTheyBecameReady()
    {
        Run(async () =>
        {
            var e = new Event();
            var r = new AsyncResult<int>();
            var s = new Semaphore(0);
            Fork(async () =>
            {
                await Gevent.Sleep(1);
                r.Set(1);
                await Gevent.Sleep(1);
                s.Release();
                await Gevent.Sleep(1);
                e.Set();
            });
            IReadOnlyList<Waitable> ready = await Gevent.WaitAsync(new Waitable[] { e, r, s });
            Assert.Equal(new Waitable[] { r, s, e }, ready);
        });
    }

    [Fact]
    public void SemaphoreRawlink_RunsWhenAPermitBecomesFree()
    {
        Run(async () =>
        {
            var s = new Semaphore(0);
            int calls = 0;
            s.Rawlink(_ => calls++);
            await Settle();
            Assert.Equal(0, calls);
            s.Release();
            await Settle();
            Assert.Equal(1, calls);
        });
    }

    [Fact]
    public void ADeadlock_IsReported_NamingThePrimitiveEachGreenletWaitsOn()
    {
        var q = new FifoQueue<int>();
        var e = Assert.Throws<LoopExitException>(() => Run(async () =>
        {
            await q.GetAsync();
        }));
        Assert.Contains("<FifoQueue<Int32> 0 items, 1 getters, 0 putters>", e.Message);
    }

    [Fact]
    public void GreenletLinkedToAnEvent_RunsItsCallbackAfterTheSet()
    {
        Run(async () =>
        {
            var e = new Event();
            var log = new List<string>();
            e.Rawlink(_ => log.Add("link"));
            Greenlet w = Go(async () => { await e.WaitAsync(); log.Add("waiter"); });
            await Settle();
            e.Set();
            log.Add("setter");
            await w.GetAsync();
            await Settle();
            Assert.Equal(new[] { "setter", "waiter", "link" }, log);
        });
    }
}
