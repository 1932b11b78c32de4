using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// The ring buffer behind wait lists, channels and queues: FIFO however it wraps, also once it is
/// big enough to keep its items in chunks (and grows from a wrapped state), with vacated slots cleared.
/// </summary>
public class RingTests
{
    private static readonly int s_chunk = Ring<object?>.ChunkLength;

    [Fact]
    public void ChunkLength_KeepsEachChunkOffTheLargeObjectHeap()
    {
        Assert.True(Ring<object?>.ChunkLength * IntPtr.Size <= 64 * 1024);
        Assert.Equal(0, Ring<object?>.ChunkLength & (Ring<object?>.ChunkLength - 1));
        Assert.True(Ring<(object, object, long)>.ChunkLength * 24 <= 64 * 1024);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(3, 1)]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    public void Fifo_WhileGrowingPastChunks_FromAnyHeadOffset(int chunksFilled, int takenBeforeFilling)
    {
        var ring = new Ring<object?>(4);
        int next = 0, expected = 0;

        // Move the head to an offset inside a chunk, so growth has to carry wrapped items.
        int offset = (s_chunk / 3) + takenBeforeFilling;
        for (int i = 0; i < offset; i++)
        {
            ring.Enqueue(next++);
        }

        for (int i = 0; i < offset; i++)
        {
            Assert.Equal(expected++, ring.Dequeue());
        }

        int total = (chunksFilled * s_chunk) + 17;
        for (int i = 0; i < total; i++)
        {
            ring.Enqueue(next++);
            if (i % 5 == 4)
            {
                Assert.Equal(expected++, ring.Dequeue()); // interleaved: the head keeps moving
            }
        }

        Assert.Equal(next - expected, ring.Count);
        Assert.Equal(next - 1, ring.Tail);
        for (int i = 0; i < ring.Count; i++)
        {
            Assert.Equal(expected + i, ring[i]);
        }

        while (ring.Count > 0)
        {
            Assert.Equal(expected++, ring.Dequeue());
        }

        Assert.Equal(next, expected);
    }

    [Fact]
    public void BigCapacity_StartsChunked_AndWrapsInPlace()
    {
        var ring = new Ring<object?>(4 * s_chunk);
        Assert.Equal(4 * s_chunk, ring.Capacity);
        int next = 0, expected = 0;
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 3 * s_chunk; i++)
            {
                ring.Enqueue(next++);
            }

            for (int i = 0; i < 3 * s_chunk; i++)
            {
                Assert.Equal(expected++, ring.Dequeue());
            }
        }

        Assert.Equal(4 * s_chunk, ring.Capacity); // wrapped around without growing
    }

    [Fact]
    public void Dequeue_AndClear_LetGoOfTheItems()
    {
        var ring = new Ring<object?>(4);
        WeakReference taken = Fill(ref ring, 2 * s_chunk, out WeakReference kept);
        ring.Dequeue();
        GC.Collect();
        Assert.False(taken.IsAlive);
        Assert.True(kept.IsAlive);
        ring.Clear();
        GC.Collect();
        Assert.False(kept.IsAlive);
        Assert.Equal(0, ring.Count);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference Fill(ref Ring<object?> ring, int count, out WeakReference last)
    {
        var first = new object();
        ring.Enqueue(first);
        for (int i = 1; i < count - 1; i++)
        {
            ring.Enqueue(i);
        }

        var tail = new object();
        ring.Enqueue(tail);
        last = new WeakReference(tail);
        return new WeakReference(first);
    }
}
