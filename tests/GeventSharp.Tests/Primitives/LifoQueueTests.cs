using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

public sealed class LifoQueueTests
{
    [Fact]
    public void Items_ComeOut_LastInFirstOut()
    {
        Run(async () =>
        {
            var q = new LifoQueue<int>();
            foreach (int i in new[] { 1, 2, 3 })
            {
                await q.PutAsync(i);
            }

            Assert.Equal(3, PeekNow(q));
            Assert.Equal(new[] { 3, 2, 1 }, new[] { GetNow(q), GetNow(q), GetNow(q) });
        });
    }

    [Fact]
    public void Bounded_PutBlocksWhenFull()
    {
        Run(async () =>
        {
            var q = new LifoQueue<int>(1);
            Assert.True(q.TryPut(1));
            await Assert.ThrowsAsync<QueueFullException>(async () => await q.PutAsync(2, 0.5));
        });
    }
}
