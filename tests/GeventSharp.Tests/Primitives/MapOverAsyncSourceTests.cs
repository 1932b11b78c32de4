using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

/// <summary>
/// gevent's test__pool.py imap/imap_unordered over a queue (test_imap_no_stop,
/// test_imap_unordered_no_stop), across pool sizes as gevent's TestPool, TestPool2, TestPool3,
/// TestPool10 and TestPoolUnlimit do. Expected orders were taken from real gevent 22.10.
/// </summary>
public sealed class MapOverAsyncSourceTests
{
    public static TheoryData<int?> Sizes => new() { 1, 2, 3, 10, null };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void test_imap_no_stop_EndsWhenTheQueueIsShutDown(int? size)
    {
        Run(async () =>
        {
            var pool = new Pool(size);
            var q = new FifoQueue<int>();
            q.TryPut(123);
            Gevent.SpawnLater(0.1, () => q.Shutdown()); // gevent puts StopIteration
            var results = new List<int>();
            await foreach (int r in pool.MapEachAsync(x => Task.FromResult(x), q))
            {
                results.Add(r);
            }

            Assert.Equal(new[] { 123 }, results);
        });
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void test_imap_unordered_no_stop_EndsWhenTheQueueIsShutDown(int? size)
    {
        Run(async () =>
        {
            var pool = new Pool(size);
            var q = new FifoQueue<int>();
            q.TryPut(1234);
            Gevent.SpawnLater(0.1, () => q.Shutdown());
            var results = new List<int>();
            await foreach (int r in pool.MapEachUnorderedAsync(x => Task.FromResult(x), q))
            {
                results.Add(r);
            }

            Assert.Equal(new[] { 1234 }, results);
        });
    }

    [Theory]
    [InlineData(1, 1, new[] { 0, 10, 20, 30, 40, 50, 60, 70 })]
    [InlineData(2, 2, new[] { 10, 0, 30, 20, 40, 60, 50, 70 })]
    [InlineData(3, 3, new[] { 20, 10, 0, 40, 30, 70, 60, 50 })]
    [InlineData(10, 6, new[] { 40, 30, 20, 10, 0, 70, 60, 50 })]
    [InlineData(null, 6, new[] { 40, 30, 20, 10, 0, 70, 60, 50 })]
    public void ItemsArrivingOverTime_RunWithPoolSizeConcurrency_InBothOrders(int? size, int expectedPeak, int[] unordered)
    {
        Run(async () =>
        {
            (List<int> ordered, int orderedPeak) = await MapArrivingAsync(size, unorderedMap: false);
            Assert.Equal(new[] { 0, 10, 20, 30, 40, 50, 60, 70 }, ordered);
            Assert.Equal(expectedPeak, orderedPeak);

            (List<int> any, int anyPeak) = await MapArrivingAsync(size, unorderedMap: true);
            Assert.Equal(unordered, any);
            Assert.Equal(expectedPeak, anyPeak);
        });
    }

    /// <summary>gevent's scenario: items 0..7 arrive every 0.01 s; item x takes (5 - x % 5) * 0.02 s.</summary>
    private static async Task<(List<int> Results, int Peak)> MapArrivingAsync(int? size, bool unorderedMap)
    {
        var pool = new Pool(size);
        var q = new FifoQueue<int>();
        int running = 0, peak = 0;
        async Task<int> Work(int x)
        {
            peak = Math.Max(peak, ++running);
            await Gevent.Sleep((5 - (x % 5)) * 0.02);
            running--;
            return x * 10;
        }

        Go(async () =>
        {
            for (int i = 0; i < 8; i++)
            {
                await q.PutAsync(i);
                await Gevent.Sleep(0.01);
            }

            q.Shutdown();
        });
        var results = new List<int>();
        IAsyncEnumerable<int> map = unorderedMap ? pool.MapEachUnorderedAsync(Work, q) : pool.MapEachAsync(Work, q);
        await foreach (int r in map)
        {
            results.Add(r);
        }

        return (results, peak);
    }

    [Fact]
    public void MapEachAsync_OverAChannel_ReadsAsPuttersArrive()
    {
        Run(async () =>
        {
            var pool = new Pool(2);
            var ch = new Channel<int>();
            Go(async () =>
            {
                for (int i = 1; i <= 3; i++)
                {
                    await ch.PutAsync(i);
                }

                ch.Shutdown();
            });
            var results = new List<int>();
            await foreach (int r in pool.MapEachAsync(async x => { await Gevent.Sleep(0.1 * (4 - x)); return x * x; }, ch))
            {
                results.Add(r);
            }

            Assert.Equal(new[] { 1, 4, 9 }, results);
        });
    }

    [Fact]
    public void MapAsync_OverAnAsyncSequence_CollectsInItemOrder()
    {
        Run(async () =>
        {
            static async IAsyncEnumerable<int> Slowly()
            {
                for (int i = 0; i < 4; i++)
                {
                    await Gevent.Sleep(0.5);
                    yield return i;
                }
            }

            var pool = new Pool(3);
            IReadOnlyList<string> results = await pool.MapAsync(async x => { await Gevent.Sleep(1 - (x * 0.2)); return $"#{x}"; }, Slowly());
            Assert.Equal(new[] { "#0", "#1", "#2", "#3" }, results);
        });
    }

    [Fact]
    public void MapEachAsync_OverAQueue_AppliesBackPressure_TheReaderHoldsTheSource()
    {
        Run(async () =>
        {
            var pool = new Pool(2);
            FifoQueue<int> q = QueueOfFirst(6);

            q.Shutdown();
            int taken = 0;
            await foreach (int r in pool.MapEachAsync(x => Task.FromResult(x), q))
            {
                taken++;
                await Gevent.Sleep(1); // a slow reader: at most Size results started and unread, and one item in the producer's hand
                Assert.True(6 - q.Count - taken <= 3, $"{6 - q.Count} taken from the queue, {taken} read");
            }

            Assert.Equal(6, taken);
        });
    }

    [Fact]
    public void MapEachAsync_LeftEarly_StopsReadingTheQueue_AndKillsTheCalls()
    {
        Run(async () =>
        {
            var pool = new Pool(2);
            FifoQueue<int> q = QueueOfFirst(5);

            await foreach (int r in pool.MapEachAsync(async x => { await Gevent.Sleep(1); return x; }, q))
            {
                Assert.Equal(0, r);
                break;
            }

            Assert.Empty(pool);
            Assert.Equal(1, q.Count); // the producer stopped taking items: 2 started, 1 more after the first read, 1 in hand
        });
    }

    /// <summary>A queue holding 0 .. <paramref name="n"/> - 1.</summary>
    private static FifoQueue<int> QueueOfFirst(int n)
    {
        var q = new FifoQueue<int>();
        for (int i = 0; i < n; i++)
        {
            q.TryPut(i);
        }

        return q;
    }
}
