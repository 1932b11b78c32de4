using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

public sealed class JoinableQueueTests
{
    [Fact]
    public void JoinAsync_WaitsUntilEveryItemIsMarkedDone()
    {
        var h = Run(async () =>
        {
            var q = new JoinableQueue<int>();
            Assert.True(await q.JoinAsync(TimeSpan.Zero));
            Assert.True(q.TryPut(1));
            Assert.True(q.TryPut(2));
            Assert.Equal(2, q.Unfinished);
            Fork(async () =>
            {
                await foreach (int _ in q)
                {
                    await Gevent.Sleep(1);
                    q.TaskDone();
                }
            });
            Assert.True(await q.JoinAsync());
            Assert.Equal(0, q.Unfinished);
        });
        Assert.Equal(TimeSpan.FromSeconds(2), h.Elapsed);
    }

    [Fact]
    public void TaskDone_CalledTooManyTimes_Throws()
    {
        Run(() =>
        {
            var q = new JoinableQueue<int>();
            Assert.True(q.TryPut(1));
            q.TaskDone();
            Assert.Throws<InvalidOperationException>(() => q.TaskDone());
            return Task.CompletedTask;
        });
    }

    [Fact]
    public void JoinAsync_WithTimeout_ReturnsFalse()
    {
        Run(async () =>
        {
            var q = new JoinableQueue<int>();
            Assert.True(q.TryPut(1));
            Assert.False(await q.JoinAsync(1));
        });
    }

    [Fact]
    public void ImmediateShutdown_CountsDiscardedItemsAsDone()
    {
        Run(async () =>
        {
            var q = new JoinableQueue<int>();
            Assert.True(q.TryPut(1));
            Assert.True(q.TryPut(2));
            Greenlet<bool> joiner = Go(() => q.JoinAsync().AsTask());
            await Settle();
            q.Shutdown(immediate: true);
            Assert.True(await joiner);
            Assert.Equal(0, q.Unfinished);
        });
    }
}
