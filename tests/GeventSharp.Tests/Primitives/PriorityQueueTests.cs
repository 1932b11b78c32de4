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
            q.PutNowait((3, "c"));
            q.PutNowait((1, "a"));
            q.PutNowait((2, "b"));
            Assert.Equal((1, "a"), await q.GetAsync());
            Assert.Equal((2, "b"), q.GetNowait());
            Assert.Equal((3, "c"), q.GetNowait());
        });
    }

    [Fact]
    public void CustomComparer_DecidesTheOrder()
    {
        Run(() =>
        {
            var q = new PriorityQueue<int>(Comparer<int>.Create((a, b) => b.CompareTo(a)));
            q.PutNowait(1);
            q.PutNowait(5);
            q.PutNowait(3);
            Assert.Equal(5, q.GetNowait());
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
            q.PutNowait(5);
            q.PutNowait(1);
            Assert.Equal(1, await g);
            Assert.Equal(5, q.GetNowait());
        });
    }
}
