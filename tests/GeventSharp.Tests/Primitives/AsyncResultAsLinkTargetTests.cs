using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

/// <summary>gevent's test__event.py TestAsyncResultAsLinkTarget: link, link_value, link_exception and unlink with an AsyncResult target.</summary>
public sealed class AsyncResultAsLinkTargetTests
{
    private const double Delay = 0.01;

    [Fact]
    public void test_set()
    {
        Run(async () =>
        {
            Greenlet<int> g = Gevent.Spawn(() => 1);
            var s1 = new AsyncResult<int>();
            var s2 = new AsyncResult<int>();
            var s3 = new AsyncResult<int>();
            g.Link(s1);
            g.LinkValue(s2);
            g.LinkException(s3);
            Assert.Equal(1, await s1);
            Assert.Equal(1, await s2);
            Assert.Equal(-1, await Gevent.WithTimeoutAsync(Delay, async () => await s3, -1));
        });
    }

    [Fact]
    public void test_set_exception()
    {
        var h = Run(async () =>
        {
            Greenlet g = Gevent.Spawn(new Action(() => throw new InvalidOperationException("test_set_exception")));
            var s1 = new AsyncResult<object?>();
            var s2 = new AsyncResult<object?>();
            var s3 = new AsyncResult<object?>();
            g.Link(s1);
            g.LinkValue(s2);
            g.LinkException(s3);
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await s1);
            object marker = new();
            Assert.Same(marker, await Gevent.WithTimeoutAsync(Delay, async () => await s2, marker));
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await s3);
        });
        Assert.Single(h.Errors);
    }

    [Fact]
    public void Unlink_RemovesEachKindOfLinkToTheResult()
    {
        Run(async () =>
        {
            var gate = new Event();
            Greenlet<int> g = Go(async () => { await gate.WaitAsync(); return 5; });
            var any = new AsyncResult<int>();
            var value = new AsyncResult<int>();
            var error = new AsyncResult<int>();
            g.Link(any);
            g.LinkValue(value);
            g.LinkException(error);
            Assert.Equal(3, g.LinkCount);
            Assert.True(g.Unlink(any));
            Assert.True(g.Unlink(value));
            Assert.True(g.Unlink(error));
            Assert.False(g.Unlink(any));
            Assert.Equal(0, g.LinkCount);
            gate.Set();
            await g.JoinAsync();
            await Settle();
            Assert.False(any.Ready);
            Assert.False(value.Ready);
        });
    }
}
