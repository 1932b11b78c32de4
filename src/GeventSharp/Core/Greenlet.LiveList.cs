using System.Runtime.CompilerServices;
namespace GeventSharp;

/// <summary>The hub's list of its live greenlets.</summary>
public partial class Greenlet
{
    // This greenlet's place in its hub's live list (see LiveList): 4 bytes, not two links.
    private int _liveIndex;

    /// <summary>
    /// The greenlets of one hub from creation until death: O(1) add and remove, for
    /// <see cref="Hub.LiveGreenlets"/>, blocked-forever reports and the kill at the end of a run.
    /// </summary>
    /// <remarks>
    /// An array of the live greenlets, each knowing its index: a dead one's place is taken by the
    /// last (so the array is unordered; <see cref="OldestFirst"/> sorts by id). It is kept in chunks of
    /// 8,192 (64 KB), so a million greenlets never put it on the large-object heap and growing it
    /// copies no greenlets (only the small directory of chunks).
    /// </remarks>
    internal sealed class LiveList
    {
        private const int ChunkShift = 13;
        private const int ChunkLength = 1 << ChunkShift;

        private Greenlet?[]?[] _chunks = new Greenlet?[]?[1];

        /// <summary>How many greenlets are in the list.</summary>
        public int Count { get; private set; }

        /// <summary>How many greenlets were ever added: the hub's spawn count (one plain increment per spawn).</summary>
        public long Added { get; private set; }

        // Once per greenlet: optimized at first call (a short program never reaches tier 1; docs/benchmarks.md, "Third pass").
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Add(Greenlet g)
        {
            int i = Count;
            int k = i >> ChunkShift;
            int j = i & (ChunkLength - 1);
            Greenlet?[]? chunk = (uint)k < (uint)_chunks.Length ? _chunks[k] : null;
            if (chunk is null || j >= chunk.Length)
            {
                chunk = NewChunk(k);
            }

            chunk[j] = g;
            g._liveIndex = i;
            Count = i + 1;
            Added++;
        }

        // Once per greenlet: optimized at first call (a short program never reaches tier 1; docs/benchmarks.md, "Third pass").
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Remove(Greenlet g)
        {
            int i = g._liveIndex;
            int last = Count - 1;
            ref Greenlet? lastSlot = ref _chunks[last >> ChunkShift]![last & (ChunkLength - 1)];
            if (i != last)
            {
                Greenlet moved = lastSlot!;
                _chunks[i >> ChunkShift]![i & (ChunkLength - 1)] = moved;
                moved._liveIndex = i;
            }

            lastSlot = null;
            g._liveIndex = -1;
            Count = last;
        }

        /// <summary>Every greenlet in the list, oldest first (in the order of their ids).</summary>
        public List<Greenlet> OldestFirst()
        {
            var list = new List<Greenlet>(Count);
            for (int i = 0; i < Count; i++)
            {
                list.Add(_chunks[i >> ChunkShift]![i & (ChunkLength - 1)]!);
            }

            list.Sort(static (a, b) => a._id.CompareTo(b._id));
            return list;
        }

        /// <summary>Allocates chunk <paramref name="k"/>, or grows it if it is the short first one (and lengthens the directory if needed).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private Greenlet?[] NewChunk(int k)
        {
            if (k >= _chunks.Length)
            {
                Array.Resize(ref _chunks, _chunks.Length * 2);
            }

            // The first chunk starts small and doubles up to full length: a hub with a few greenlets keeps a few slots.
            Greenlet?[]? chunk = _chunks[k];
            if (chunk is null)
            {
                chunk = new Greenlet?[k == 0 ? 16 : ChunkLength];
            }
            else
            {
                Array.Resize(ref chunk, Math.Min(chunk.Length * 2, ChunkLength));
            }

            return _chunks[k] = chunk;
        }
    }
}
