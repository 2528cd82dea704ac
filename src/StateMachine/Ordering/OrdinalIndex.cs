using System.Collections;

namespace RaftKV.StateMachine.Ordering;

/// <summary>
/// A large set's members, a hashtable hash's fields or a skiplist sorted set's members in ordinal order, kept in step with
/// the collection's adds and removes in O(log n) plus a shift within one leaf (<see cref="PositionIndex{T}"/>). A set kept
/// a sorted list, so once SMEMBERS, SRANDMEMBER, SPOP or a set operation had built it, every SADD or SREM of a
/// 300,000-member set moved 2.4 MB; a hash and a sorted set dropped a sorted array on every add or remove, so HRANDFIELD
/// or ZRANDMEMBER after each HSET or ZADD sorted every field or member. <see cref="Members"/> reads it as a list: a random
/// draw is a binary search over the leaves.
/// </summary>
internal sealed class OrdinalIndex() : PositionIndex<OrdinalSlot>(Order.Instance)
{
    private MemberList? _members;

    /// <summary>The members in ordinal order, as a list (the index's own: do not keep it across changes).</summary>
    public IReadOnlyList<byte[]> Members => _members ??= new MemberList(this);

    /// <summary>A collection's index of <paramref name="members"/> (distinct), kept in <paramref name="cache"/> (<see cref="PositionIndex{T}.Cached{TIndex, TState}"/>).</summary>
    public static OrdinalIndex Of(ref OrdinalIndex? cache, IEnumerable<byte[]> members) =>
        Cached(ref cache, members, static members => Build(members));

    /// <summary>An index of <paramref name="members"/>, which must be distinct.</summary>
    public static OrdinalIndex Build(IEnumerable<byte[]> members)
    {
        var sorted = members.ToArray();
        Array.Sort(sorted, Text.ByteStringComparer.Instance);
        // Added in order, every member goes to the end of the last leaf, which fills each leaf before opening the next.
        var index = new OrdinalIndex();
        foreach (var member in sorted)
        {
            index.Add(new OrdinalSlot(member));
        }

        return index;
    }

    public void Add(byte[] member) => Add(new OrdinalSlot(member));

    public void Remove(byte[] member) => Remove(new OrdinalSlot(member));

    private sealed class Order : IComparer<OrdinalSlot>
    {
        public static readonly Order Instance = new();

        // Ordinal order is position order with ties broken by the bytes (OrdinalSlot), so the bytes alone decide.
        public int Compare(OrdinalSlot x, OrdinalSlot y) => x.Member.AsSpan().SequenceCompareTo(y.Member);
    }

    private sealed class MemberList(OrdinalIndex index) : IReadOnlyList<byte[]>
    {
        public byte[] this[int position] => index.ElementAt(position).Member;

        public int Count => index.Count;

        public IEnumerator<byte[]> GetEnumerator()
        {
            foreach (var slot in index)
            {
                yield return slot.Member;
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
