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

            Assert.Equal(3, q.PeekNowait());
            Assert.Equal(new[] { 3, 2, 1 }, new[] { q.GetNowait(), q.GetNowait(), q.GetNowait() });
        });
    }

    [Fact]
    public void Bounded_PutBlocksWhenFull()
    {
        Run(async () =>
        {
            var q = new LifoQueue<int>(1);
            q.PutNowait(1);
            await Assert.ThrowsAsync<Full>(async () => await q.PutAsync(2, 0.5));
        });
    }
}
