using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

public sealed class AsyncResultTests
{
    [Fact]
    public void Set_HandsTheValueToEveryWaiter()
    {
        Run(async () =>
        {
            var r = new AsyncResult<string>();
            var ws = Enumerable.Range(0, 3).Select(_ => Go(() => r.GetAsync().AsTask())).ToList();
            await Settle();
            r.Set("Hello!");
            foreach (var w in ws)
            {
                Assert.Equal("Hello!", await w);
            }

            Assert.True(r.Ready);
            Assert.True(r.Successful);
            Assert.Equal("Hello!", r.Value);
            Assert.Null(r.Exception);
        });
    }

    [Fact]
    public void SetException_IsRethrownByEveryReader()
    {
        Run(async () =>
        {
            var r = new AsyncResult<int>();
            var boom = new InvalidOperationException("boom");
            Greenlet<int> w = Go(() => r.GetAsync().AsTask());
            await Settle();
            r.SetException(boom);
            await w.JoinAsync();
            Assert.Same(boom, w.Exception);
            Assert.Same(boom, await Assert.ThrowsAsync<InvalidOperationException>(async () => await r));
            Assert.False(r.Successful);
            Assert.Equal(0, r.Value);
        });
    }

    [Fact]
    public void Get_OnUnsetResult_ThrowsTimeoutWithGeventsEmptyMessage_AtOnce()
    {
        var h = Run(async () =>
        {
            var r = new AsyncResult<int>();
            Timeout t = Assert.Throws<Timeout>(() => r.Get());
            Assert.Equal(string.Empty, t.Message); // gevent: str(Timeout) of get(block=False) is ''
            Assert.Null(t.Duration);
            Assert.False(t.Pending);
            await Assert.ThrowsAsync<Timeout>(async () => await r.GetAsync(TimeSpan.Zero));
        });
        Assert.Equal(TimeSpan.Zero, h.Elapsed);
    }

    [Fact]
    public void Get_OnSetResult_ReturnsTheValue_OrRethrowsTheException()
    {
        Run(() =>
        {
            var r = new AsyncResult<string>();
            r.Set("v");
            Assert.Equal("v", r.Get());
            var boom = new FormatException("boom");
            r.SetException(boom);
            Assert.Same(boom, Assert.Throws<FormatException>(() => r.Get()));
            return Task.CompletedTask;
        });
    }

    [Fact]
    public void GetAsync_WithTimeout_ThrowsTimeoutAfterIt()
    {
        var h = Run(async () =>
        {
            var r = new AsyncResult<int>();
            await Assert.ThrowsAsync<Timeout>(async () => await r.GetAsync(2.0));
        });
        Assert.Equal(TimeSpan.FromSeconds(2), h.Elapsed);
    }

    [Fact]
    public void WaitAsync_ReturnsFalseOnTimeout_TrueWhenReady_WithoutThrowing()
    {
        Run(async () =>
        {
            var r = new AsyncResult<int>();
            Assert.False(await r.WaitAsync(1));
            r.SetException(new Exception("x"));
            Assert.True(await r.WaitAsync());
        });
    }

    [Fact]
    public void LinkedToAGreenlet_DeliversItsValue()
    {
        Run(async () =>
        {
            var r = new AsyncResult<int>();
            Greenlet<int> g = Gevent.Spawn(() => 42);
            g.Link(r);
            Assert.Equal(42, await r);
        });
    }

    [Fact]
    public void LinkedToAGreenlet_DeliversItsException()
    {
        var h = new GeventSharp.Testing.HubHarness();
        h.Run(async () =>
        {
            var r = new AsyncResult<object?>();
            Greenlet g = Gevent.Spawn((Action)(() => throw new FormatException("bad")));
            g.Link(r);
            await Assert.ThrowsAsync<FormatException>(async () => await r);
        });
    }

    [Fact]
    public void Set_Again_ReplacesTheOutcome()
    {
        Run(async () =>
        {
            var r = new AsyncResult<int>();
            r.Set(1);
            r.Set(2);
            Assert.Equal(2, await r.GetAsync());
            Assert.Equal("<AsyncResult value=2>", r.ToString());
        });
    }
}
