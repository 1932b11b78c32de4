using System.Runtime.CompilerServices;
namespace GeventSharp;

/// <summary>The hub's list of its live greenlets.</summary>
public partial class Greenlet
{
    // This greenlet's links in its hub's live list: intrusive, so tracking a greenlet allocates nothing.
    private Greenlet? _liveNext;
    private Greenlet? _livePrev;

    /// <summary>
    /// The greenlets of one hub from creation until death, newest first: O(1) add and remove, for
    /// <see cref="Hub.LiveGreenlets"/>, blocked-forever reports and the kill at the end of a run.
    /// </summary>
    internal sealed class LiveList
    {
        private Greenlet? _head;

        /// <summary>How many greenlets are in the list.</summary>
        public int Count { get; private set; }

        /// <summary>How many greenlets were ever added: the hub's spawn count (one plain increment per spawn).</summary>
        public long Added { get; private set; }

        // Once per greenlet: optimized at first call (a short program never reaches tier 1; docs/benchmarks.md, "Third pass").
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Add(Greenlet g)
        {
            g._liveNext = _head;
            if (_head is not null)
            {
                _head._livePrev = g;
            }

            _head = g;
            Count++;
            Added++;
        }

        // Once per greenlet: optimized at first call (a short program never reaches tier 1; docs/benchmarks.md, "Third pass").
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Remove(Greenlet g)
        {
            if (g._livePrev is not null)
            {
                g._livePrev._liveNext = g._liveNext;
            }
            else if (ReferenceEquals(_head, g))
            {
                _head = g._liveNext;
            }

            if (g._liveNext is not null)
            {
                g._liveNext._livePrev = g._livePrev;
            }

            g._liveNext = null;
            g._livePrev = null;
            Count--;
        }

        /// <summary>Every greenlet in the list, oldest first.</summary>
        public List<Greenlet> OldestFirst()
        {
            var list = new List<Greenlet>(Count);
            for (Greenlet? g = _head; g is not null; g = g._liveNext)
            {
                list.Add(g);
            }

            list.Reverse();
            return list;
        }
    }
}
