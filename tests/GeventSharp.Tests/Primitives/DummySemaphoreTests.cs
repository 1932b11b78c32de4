using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

public sealed class DummySemaphoreTests
{
    [Fact]
    public void NeverBlocks_AndReleaseDoesNothing()
    {
        Run(async () =>
        {
            var s = new DummySemaphore();
            for (int i = 0; i < 100; i++)
            {
                Assert.True(await s.AcquireAsync());
            }

            s.Release();
            s.Release();
            Assert.False(s.Locked);
            Assert.True(await s.WaitAsync(TimeSpan.Zero));
            Assert.Equal("<DummySemaphore>", s.ToString());
        });
    }
}
