using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// The hub's segmented ready queue: FIFO across segment boundaries however enqueues and dequeues
/// interleave, emptied segments reused (and no more kept than the cap), and an emptying queue
/// staying in one segment.
/// </summary>
public class ReadyQueueTests
{
    private static readonly Action<object?> s_callback = static _ => { };

    private static WorkItem Item(int k) => new(null, s_callback, k);

    private static int Take(ReadyQueue q)
    {
        Assert.True(q.TryDequeue(out WorkItem item));
        Assert.Same(s_callback, item.Callback);
        return (int)item.State!;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(ReadyQueue.SegmentSize, 1)]
    [InlineData(ReadyQueue.SegmentSize + 1, ReadyQueue.SegmentSize - 1)]
    [InlineData(5 * ReadyQueue.SegmentSize, 7)]
    public void InterleavedEnqueueAndDequeue_StayFifo_AcrossSegments(int putPerRound, int takePerRound)
    {
        var q = new ReadyQueue();
        int next = 0, expected = 0;
        for (int round = 0; round < 40; round++)
        {
            for (int i = 0; i < putPerRound; i++)
            {
                q.Enqueue(Item(next++));
            }

            for (int i = 0; i < takePerRound && q.Count > 0; i++)
            {
                Assert.Equal(expected++, Take(q));
            }

            Assert.Equal(next - expected, q.Count);
        }

        while (q.Count > 0)
        {
            Assert.Equal(expected++, Take(q));
        }

        Assert.Equal(next, expected);
        Assert.False(q.TryDequeue(out WorkItem empty));
        Assert.Null(empty.Callback);
    }

    [Fact]
    public void DequeuedSlots_AreCleared_AndResumeItemsCarryOnlyTheGreenlet()
    {
        Gevent.Run(() =>
        {
            var q = new ReadyQueue();
            Greenlet g = Greenlet.Current!;
            for (int round = 0; round < 3 * ReadyQueue.SegmentSize; round++)
            {
                q.Enqueue(Item(round)); // fills the slot's three fields
                Assert.Equal(round, Take(q));
                q.EnqueueResume(g); // the slot must come back cleared, or a stale callback would run
                Assert.True(q.TryDequeue(out WorkItem resume));
                Assert.Same(g, resume.Greenlet);
                Assert.Null(resume.Callback);
                Assert.Null(resume.State);
            }
        });
    }

    [Fact]
    public void ABurst_IsServedInOrder_AndItsSegmentsAreReused_UpToTheCap()
    {
        var q = new ReadyQueue();
        int burst = (ReadyQueue.MaxSpareSegments + 10) * ReadyQueue.SegmentSize;
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < burst; i++)
            {
                q.Enqueue(Item(i));
            }

            Assert.Equal(0, q.SpareSegments); // the burst needed more segments than were kept
            for (int i = 0; i < burst; i++)
            {
                Assert.Equal(i, Take(q));
            }

            // Every segment the head left was kept, up to the cap.
            Assert.Equal(ReadyQueue.MaxSpareSegments, q.SpareSegments);
        }
    }

    [Fact]
    public void AQueueThatWalksThroughSegments_ReusesThem()
    {
        // Two items always queued (a Sleep(0) ping-pong): the queue never empties, so it walks from
        // segment to segment, and each segment the head leaves is the next one the tail takes.
        var q = new ReadyQueue();
        q.Enqueue(Item(0));
        q.Enqueue(Item(1));
        for (int k = 2; k < 10 * ReadyQueue.SegmentSize; k++)
        {
            Assert.Equal(k - 2, Take(q));
            q.Enqueue(Item(k));
            Assert.InRange(q.SpareSegments, 0, 1);
        }
    }

    [Fact]
    public void AnEmptiedQueue_StartsItsSegmentOver()
    {
        var q = new ReadyQueue();
        for (int k = 0; k < 10 * ReadyQueue.SegmentSize; k++)
        {
            q.Enqueue(Item(k));
            Assert.Equal(k, Take(q));
        }

        Assert.Equal(0, q.SpareSegments); // never left its first segment
    }
}
