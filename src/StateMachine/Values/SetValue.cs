using System.Buffers;
using System.Globalization;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Ordering;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Values;

/// <summary>
/// A Redis set, in Redis 7.0's two representations: <c>intset</c> (a sorted array of integers, while every
/// member is a canonical integer and there are at most set-max-intset-entries, from the replicated configuration
/// (<see cref="EncodingLimits.Current"/>)) and <c>hashtable</c>.
/// An intset turns into a hashtable when a non-integer member is added or it grows too large, never back.
/// Canonical order (snapshots, digests, random choices, scans) is ordinal byte order of the members.
/// </summary>
internal sealed class SetValue : StoredValue
{
    private long[]? _integers = [];
    private int _integerCount;
    private HashSet<byte[]>? _members;

    // Ordinal-sorted members of a hashtable set, built on first use and kept in step afterwards, so that
    // random choices and set operations need not sort on every call.
    private OrdinalIndex? _sorted;

    // The scan order of a hashtable set (SSCAN), built on first use and kept in step afterwards.
    private ElementScanIndex? _scanIndex;

    // While a script's journal tracks this hashtable set (TrackChanges): each member added (true) or removed (false),
    // newest last.
    private UndoSteps<SetValue, KeyValuePair<byte[], bool>>? _trail;

    /// <summary>A set in the representation Redis's setTypeCreate picks for a first member.</summary>
    public static SetValue CreateFor(byte[] firstMember)
    {
        var set = new SetValue();
        if (!IsInteger(firstMember, out _))
        {
            set.ConvertToHashtable();
        }

        return set;
    }

    public override ValueKind Kind => ValueKind.Set;

    public override string Encoding => _members is null ? "intset" : "hashtable";

    public int Count => _members?.Count ?? _integerCount;

    public bool Contains(byte[] member)
    {
        if (_members is not null)
        {
            return _members.Contains(member);
        }

        return IsInteger(member, out var value) && Array.BinarySearch(_integers!, 0, _integerCount, value) >= 0;
    }

    public bool Add(byte[] member)
    {
        if (_members is null)
        {
            if (IsInteger(member, out var value))
            {
                var index = Array.BinarySearch(_integers!, 0, _integerCount, value);
                if (index >= 0)
                {
                    return false;
                }

                if (_integerCount == _integers!.Length)
                {
                    Array.Resize(ref _integers, Math.Max(4, _integers.Length * 2));
                }

                index = ~index;
                Array.Copy(_integers, index, _integers, index + 1, _integerCount - index);
                _integers[index] = value;
                _integerCount++;
                if (_integerCount > EncodingLimits.Current.SetMaxIntsetEntries)
                {
                    ConvertToHashtable();
                }

                return true;
            }

            ConvertToHashtable();
        }

        if (!_members!.Add(member))
        {
            return false;
        }

        _sorted?.Add(member);
        _scanIndex?.Add(member);
        _trail?.Record(new(member, true));
        return true;
    }

    public bool Remove(byte[] member)
    {
        if (_members is null)
        {
            if (!IsInteger(member, out var value))
            {
                return false;
            }

            var index = Array.BinarySearch(_integers!, 0, _integerCount, value);
            if (index < 0)
            {
                return false;
            }

            Array.Copy(_integers!, index + 1, _integers!, index, _integerCount - index - 1);
            _integerCount--;
            return true;
        }

        if (!_members.Remove(member))
        {
            return false;
        }

        _sorted?.Remove(member);
        _scanIndex?.Remove(member);
        _trail?.Record(new(member, false));
        return true;
    }

    /// <summary>Removes <paramref name="members"/> (SPOP with a count).</summary>
    public void RemoveMany(IReadOnlyCollection<byte[]> members)
    {
        foreach (var member in members)
        {
            Remove(member);
        }
    }

    /// <summary>The members in canonical (ordinal) order. The list is the set's own: do not keep it across changes.</summary>
    public IReadOnlyList<byte[]> Canonical()
    {
        if (_members is null)
        {
            var members = new byte[_integerCount][];
            for (var i = 0; i < _integerCount; i++)
            {
                members[i] = RedisIntegers.Format(_integers![i]);
            }

            Array.Sort(members, ByteStringComparer.Instance);
            return members;
        }

        return OrdinalIndex.Of(ref _sorted, _members).Members;
    }

    /// <summary>
    /// The members in no particular order (a hashtable's own): for what does not depend on order, such as a count, so
    /// that it builds no ordinal index. Never let this order reach a reply or a replicated choice.
    /// </summary>
    public IEnumerable<byte[]> Unordered() => _members is not null ? _members : ReplyOrder();

    /// <summary>The scan order of a hashtable set (<see cref="ElementScanIndex.Of"/>).</summary>
    public ElementScanIndex ScanIndex() => ElementScanIndex.Of(ref _scanIndex, _members!);

    /// <summary>
    /// The order SMEMBERS and friends reply in: numeric for an intset (as Redis), canonical otherwise
    /// (Redis's hashtable order is unspecified; ours must not depend on hash-container order).
    /// </summary>
    public IEnumerable<byte[]> ReplyOrder()
    {
        if (_members is not null)
        {
            return Canonical();
        }

        var members = new byte[_integerCount][];
        for (var i = 0; i < _integerCount; i++)
        {
            members[i] = RedisIntegers.Format(_integers![i]);
        }

        return members;
    }

    public override StoredValue Clone()
    {
        var copy = new SetValue();
        if (_members is null)
        {
            copy._integers = _integers![.._integerCount];
            copy._integerCount = _integerCount;
        }
        else
        {
            copy.ConvertToHashtable();
            copy._members!.UnionWith(_members);
        }

        return copy;
    }

    /// <summary>A hashtable set records each member added or removed; an intset is copied instead (an array of integers).</summary>
    public override UndoTrail? TrackChanges() =>
        _members is not null && _trail is null
            ? _trail = new UndoSteps<SetValue, KeyValuePair<byte[], bool>>(this, UndoStep, static set => set.Count, static set => set._trail = null)
            : null;

    private static void UndoStep(SetValue set, KeyValuePair<byte[], bool> change)
    {
        if (change.Value)
        {
            set.Remove(change.Key);
        }
        else
        {
            set.Add(change.Key);
        }
    }

    // The count, then each member as a length and its bytes: no sort needed to know how many bytes.
    public override long CanonicalLength()
    {
        if (_members is null)
        {
            return base.CanonicalLength();
        }

        long length = sizeof(int);
        foreach (var member in _members)
        {
            length += sizeof(int) + member.Length;
        }

        return length;
    }

    /// <summary>The representation (0 intset, 1 hashtable), then the canonical form.</summary>
    public override void WriteSnapshot(CanonicalWriter writer)
    {
        writer.WriteByte(_members is null ? (byte)0 : (byte)1);
        WriteCanonical(writer);
    }

    /// <summary>
    /// A set read from a snapshot, in the representation it was written in whatever the limits are now; null when a
    /// member repeats or an intset's member is not an integer.
    /// </summary>
    public static SetValue? Load(bool intset, IReadOnlyList<byte[]> members)
    {
        var set = new SetValue();
        if (!intset)
        {
            set.ConvertToHashtable();
            foreach (var member in members)
            {
                if (!set._members!.Add(member))
                {
                    return null;
                }
            }

            return set;
        }

        var integers = new long[members.Count];
        for (var i = 0; i < integers.Length; i++)
        {
            if (!IsInteger(members[i], out integers[i]))
            {
                return null;
            }
        }

        Array.Sort(integers);
        for (var i = 1; i < integers.Length; i++)
        {
            if (integers[i] == integers[i - 1])
            {
                return null;
            }
        }

        set._integers = integers;
        set._integerCount = integers.Length;
        return set;
    }

    // Snapshots and digests write every set: this allocates nothing per set, and leaves no sorted cache behind (a list of
    // every member kept for as long as the set lives: the first snapshot after a load built one for every set).
    public override void WriteCanonical(CanonicalWriter writer)
    {
        writer.WriteInt32(Count);
        if (_members is null)
        {
            WriteIntegersCanonical(writer);
        }
        else if (Volatile.Read(ref _sorted) is { } sorted)
        {
            foreach (var member in sorted.Members)
            {
                writer.WriteString(member);
            }
        }
        else
        {
            WriteMembersCanonical(writer, _members);
        }
    }

    private void WriteIntegersCanonical(CanonicalWriter writer)
    {
        var integers = ArrayPool<long>.Shared.Rent(_integerCount);
        try
        {
            Array.Copy(_integers!, integers, _integerCount);
            integers.AsSpan(0, _integerCount).Sort(IntegerTextOrder.Comparison);
            Span<byte> text = stackalloc byte[20];
            for (var i = 0; i < _integerCount; i++)
            {
                integers[i].TryFormat(text, out var written, default, CultureInfo.InvariantCulture);
                writer.WriteString(text[..written]);
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(integers);
        }
    }

    private static void WriteMembersCanonical(CanonicalWriter writer, HashSet<byte[]> members)
    {
        var sorted = ArrayPool<byte[]>.Shared.Rent(members.Count);
        try
        {
            members.CopyTo(sorted);
            sorted.AsSpan(0, members.Count).Sort(ByteStringComparer.Comparison);
            for (var i = 0; i < members.Count; i++)
            {
                writer.WriteString(sorted[i]);
            }
        }
        finally
        {
            ArrayPool<byte[]>.Shared.Return(sorted, clearArray: true);
        }
    }

    /// <summary>Redis's intset test: the member is a canonical 64-bit integer (string2ll).</summary>
    public static bool IsInteger(byte[] member, out long value) => RedisIntegers.TryParse(member, out value);

    private void ConvertToHashtable()
    {
        _members = new HashSet<byte[]>(ByteStringComparer.Instance);
        for (var i = 0; i < _integerCount; i++)
        {
            _members.Add(RedisIntegers.Format(_integers![i]));
        }

        _integers = null;
        _integerCount = 0;
    }
}
