using System.Collections;

namespace RaftKV.StateMachine.Ordering;

/// <summary>
/// Items in an order that sorts first by <see cref="IPositioned.Position"/> (a stable hash, identical on every replica),
/// then by <paramref name="order"/>'s tie-break: the keyspace's (<c>KeyOrderIndex</c>) and a large set's, hash's or sorted
/// set's scan order (<c>ElementScanIndex</c>). A list of sorted leaves of up to <see cref="LeafCapacity"/> items, instead
/// of a red-black tree: a tree node costs 48 bytes per item, a leaf slot the item's size (8 for a reference; up to twice
/// that with the free slots of split leaves). Adds and removes cost a binary search over the leaves and within one, plus a shift of at most one
/// leaf (and, when a leaf splits or empties, of the leaf list). Leaves are never empty; a leaf that falls under a
/// quarter full merges with a neighbour if the two fit in three quarters of one.
/// An enumeration fails (<see cref="InvalidOperationException"/>) if the index changes under it, as a SortedSet's does.
/// </summary>
internal class PositionIndex<T>(IComparer<T> order) : IEnumerable<T>
    where T : IPositioned
{
    internal const int LeafCapacity = 256;

    private List<Leaf> _leaves = [];
    private int _version;

    // Each leaf's first index in canonical order, built on the first ElementAt after a change: a draw then costs a binary
    // search over the leaves, not a walk (SRANDMEMBER with a count draws many after one change).
    private int[]? _starts;

    public int Count { get; private set; }

    /// <summary>
    /// A collection's index, kept in <paramref name="cache"/>: built by <paramref name="build"/> from <paramref name="state"/>
    /// on first use (a static builder: no closure per call once it is built), then kept in
    /// step by its owner. Reads may run concurrently with each other (never with a write): the index is built privately
    /// and published complete.
    /// </summary>
    protected static TIndex Cached<TIndex, TState>(ref TIndex? cache, TState state, Func<TState, TIndex> build)
        where TIndex : class
    {
        var index = Volatile.Read(ref cache);
        if (index is null)
        {
            index = build(state);
            Volatile.Write(ref cache, index);
        }

        return index;
    }

    /// <summary>Adds <paramref name="entry"/>; false if an entry with its position and key is already there.</summary>
    public bool Add(T entry)
    {
        if (_leaves.Count == 0)
        {
            var first = new Leaf();
            first.Insert(0, entry);
            _leaves.Add(first);
            Count++;
            Changed();
            return true;
        }

        var index = LeafFor(entry);
        var leaf = _leaves[index];
        var at = leaf.Search(entry, order);
        if (at >= 0)
        {
            return false;
        }

        at = ~at;
        if (leaf.Count < LeafCapacity)
        {
            leaf.Insert(at, entry);
        }
        else if (at == LeafCapacity)
        {
            // Past the end of a full leaf: the start of the next one, or a leaf of its own. Items added in order (a
            // snapshot load, a bulk build) so fill every leaf, where splitting would leave each one half empty.
            if (index + 1 < _leaves.Count && _leaves[index + 1].Count < LeafCapacity)
            {
                _leaves[index + 1].Insert(0, entry);
            }
            else
            {
                var next = new Leaf();
                next.Insert(0, entry);
                _leaves.Insert(index + 1, next);
            }
        }
        else
        {
            var upper = leaf.SplitUpperHalf();
            _leaves.Insert(index + 1, upper);
            if (at <= leaf.Count)
            {
                leaf.Insert(at, entry);
            }
            else
            {
                upper.Insert(at - leaf.Count, entry);
            }
        }

        Count++;
        Changed();
        return true;
    }

    /// <summary>Removes the entry with <paramref name="entry"/>'s position and key; false if there is none.</summary>
    public bool Remove(T entry)
    {
        if (_leaves.Count == 0)
        {
            return false;
        }

        var index = LeafFor(entry);
        var leaf = _leaves[index];
        var at = leaf.Search(entry, order);
        if (at < 0)
        {
            return false;
        }

        leaf.RemoveAt(at);
        Count--;
        Changed();
        if (leaf.Count == 0)
        {
            _leaves.RemoveAt(index);
        }
        else if (leaf.Count < LeafCapacity / 4)
        {
            MergeWithNeighbour(index);
        }

        return true;
    }

    public void Clear()
    {
        _leaves = [];
        Count = 0;
        Changed();
    }

    /// <summary>
    /// The entry at <paramref name="index"/> in canonical order: a binary search over the leaves' first indexes, which the
    /// first call after a change lists (a walk over the leaves, not over the entries). Reads may call it concurrently
    /// with each other (never with a write): the list is built privately and published complete.
    /// </summary>
    public T ElementAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var starts = Volatile.Read(ref _starts);
        if (starts is null)
        {
            starts = new int[_leaves.Count];
            var start = 0;
            for (var i = 0; i < starts.Length; i++)
            {
                starts[i] = start;
                start += _leaves[i].Count;
            }

            Volatile.Write(ref _starts, starts);
        }

        var leaf = Array.BinarySearch(starts, index);
        leaf = leaf >= 0 ? leaf : ~leaf - 1;
        return _leaves[leaf].Items[index - starts[leaf]];
    }

    private void Changed()
    {
        _version++;
        _starts = null;
    }

    /// <summary>Every entry whose position is at least <paramref name="position"/>, in canonical order.</summary>
    public IEnumerable<T> From(ulong position)
    {
        // The first leaf whose last entry reaches the position; leaves are in order, so their last positions are too.
        int low = 0, high = _leaves.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (_leaves[middle].Last.Position < position)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low == _leaves.Count ? [] : Walk(low, _leaves[low].FirstAt(position));
    }

    /// <summary>Every entry that sorts at or after <paramref name="entry"/> in the index's order.</summary>
    public IEnumerable<T> From(T entry)
    {
        if (_leaves.Count == 0)
        {
            return [];
        }

        var leaf = LeafFor(entry);
        var at = _leaves[leaf].Search(entry, order);
        return Walk(leaf, at >= 0 ? at : ~at);
    }

    public IEnumerator<T> GetEnumerator() => Walk(0, 0).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerable<T> Walk(int leaf, int item)
    {
        var version = _version;
        for (; leaf < _leaves.Count; leaf++, item = 0)
        {
            var current = _leaves[leaf];
            for (; item < current.Count; item++)
            {
                if (version != _version)
                {
                    throw new InvalidOperationException("The index changed while it was being enumerated.");
                }

                yield return current.Items[item];
            }
        }
    }

    // The last leaf whose first entry sorts at or before `entry` (the first leaf if none does): where it is or belongs.
    private int LeafFor(T entry)
    {
        int low = 1, high = _leaves.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (order.Compare(_leaves[middle].Items[0], entry) <= 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low - 1;
    }

    private void MergeWithNeighbour(int index)
    {
        var leaf = _leaves[index];
        if (index + 1 < _leaves.Count && leaf.Count + _leaves[index + 1].Count <= LeafCapacity * 3 / 4)
        {
            leaf.Append(_leaves[index + 1]);
            _leaves.RemoveAt(index + 1);
        }
        else if (index > 0 && leaf.Count + _leaves[index - 1].Count <= LeafCapacity * 3 / 4)
        {
            _leaves[index - 1].Append(leaf);
            _leaves.RemoveAt(index);
        }
    }

    /// <summary>Up to <see cref="LeafCapacity"/> entries in canonical order, the used ones first.</summary>
    private sealed class Leaf
    {
        public readonly T[] Items = new T[LeafCapacity];

        public int Count { get; private set; }

        public T Last => Items[Count - 1];

        /// <summary>The index of <paramref name="entry"/>, or the bitwise complement of where it belongs.</summary>
        public int Search(T entry, IComparer<T> order) => Array.BinarySearch(Items, 0, Count, entry, order);

        /// <summary>The index of the first entry whose position is at least <paramref name="position"/> (Count if none).</summary>
        public int FirstAt(ulong position)
        {
            int low = 0, high = Count;
            while (low < high)
            {
                var middle = (low + high) >>> 1;
                if (Items[middle].Position < position)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low;
        }

        public void Insert(int at, T entry)
        {
            Array.Copy(Items, at, Items, at + 1, Count - at);
            Items[at] = entry;
            Count++;
        }

        public void RemoveAt(int at)
        {
            Count--;
            Array.Copy(Items, at + 1, Items, at, Count - at);
            Items[Count] = default!;
        }

        /// <summary>Moves the upper half of this full leaf to a new leaf, which it returns.</summary>
        public Leaf SplitUpperHalf()
        {
            var upper = new Leaf();
            var keep = Count / 2;
            upper.Count = Count - keep;
            Array.Copy(Items, keep, upper.Items, 0, upper.Count);
            Array.Clear(Items, keep, upper.Count);
            Count = keep;
            return upper;
        }

        /// <summary>Appends every entry of <paramref name="next"/>, which sorts after this leaf's.</summary>
        public void Append(Leaf next)
        {
            Array.Copy(next.Items, 0, Items, Count, next.Count);
            Count += next.Count;
        }
    }
}
