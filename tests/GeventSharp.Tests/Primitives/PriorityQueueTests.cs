using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

public sealed class PriorityQueueTests
{
    [Fact]
    public void Items_ComeOut_SmallestFirst()
    {
        Run(async () =>
        {
            var q = new PriorityQueue<(int, string)>();
            Assert.True(q.TryPut((3, "c")));
            Assert.True(q.TryPut((1, "a")));
            Assert.True(q.TryPut((2, "b")));
            Assert.Equal((1, "a"), await q.GetAsync());
            Assert.Equal((2, "b"), GetNow(q));
            Assert.Equal((3, "c"), GetNow(q));
        });
    }

    [Fact]
    public void CustomComparer_DecidesTheOrder()
    {
        Run(() =>
        {
            var q = new PriorityQueue<int>(Comparer<int>.Create((a, b) => b.CompareTo(a)));
            Assert.True(q.TryPut(1));
            Assert.True(q.TryPut(5));
            Assert.True(q.TryPut(3));
            Assert.Equal(5, GetNow(q));
            return Task.CompletedTask;
        });
    }

    [Fact]
    public void WaitingGetter_GetsTheSmallestItemWhenItRuns()
    {
        Run(async () =>
        {
            var q = new PriorityQueue<int>();
            Greenlet<int> g = Go(() => q.GetAsync().AsTask());
            await Settle();
            Assert.True(q.TryPut(5));
            Assert.True(q.TryPut(1));
            Assert.Equal(1, await g);
            Assert.Equal(5, GetNow(q));
        });
    }
}
