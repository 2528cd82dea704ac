using RaftKV.StateMachine.Ordering;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Values;

/// <summary>
/// A Redis sorted set in Redis 7.0's two representations: <c>listpack</c> (a sorted array, while there are at
/// most zset-max-listpack-entries members of at most zset-max-listpack-value bytes, from the replicated
/// configuration (<see cref="EncodingLimits.Current"/>)) and
/// <c>skiplist</c> (<see cref="ScoreSkipList"/> plus a member-to-score dictionary). Order is Redis's: score,
/// then ordinal member; ranks are 0-based. Every rank and range operation is O(log n) on the skip list.
/// </summary>
internal sealed class SortedSetValue : StoredValue
{

    private List<ScoredMember>? _small = [];
    private ScoreSkipList? _list;
    private Dictionary<byte[], double>? _scores;

    // The scan order of a skiplist sorted set (ZSCAN), by member, built on first use and kept in step afterwards.
    private ElementScanIndex? _scanIndex;

    // A skiplist sorted set's members in ordinal order (the order random choices are made in), built on first use and kept
    // in step with adds and removes (OrdinalIndex): ZRANDMEMBER sorted every member on every call.
    private OrdinalIndex? _ordinal;

    // While a script's journal tracks this skiplist sorted set (TrackChanges): each changed member and its score before
    // (null: absent), newest last.
    private UndoSteps<SortedSetValue, KeyValuePair<byte[], double?>>? _trail;

    /// <summary>The representation Redis's zsetTypeCreate picks for the expected size and longest member.</summary>
    public static SortedSetValue Create(long sizeHint, long longestMember)
    {
        var zset = new SortedSetValue();
        var limits = EncodingLimits.Current;
        if (sizeHint > limits.ZsetMaxListpackEntries || longestMember > limits.ZsetMaxListpackValue)
        {
            zset.ConvertToSkipList();
        }

        return zset;
    }

    public override ValueKind Kind => ValueKind.SortedSet;

    public override string Encoding => _small is null ? "skiplist" : "listpack";

    public int Count => _small?.Count ?? _list!.Count;

    public bool TryGetScore(byte[] member, out double score)
    {
        if (_scores is not null)
        {
            return _scores.TryGetValue(member, out score);
        }

        var index = FindSmall(member);
        score = index < 0 ? 0 : _small![index].Score;
        return index >= 0;
    }

    /// <summary>
    /// Adds or re-scores <paramref name="member"/>; true when it is new. A score equal to the old one (0 and
    /// -0 compare equal) changes nothing, as in Redis. Converts to a skip list as zsetAdd does.
    /// </summary>
    public bool Set(byte[] member, double score)
    {
        if (_small is not null)
        {
            var index = FindSmall(member);
            if (index >= 0)
            {
                // Redis keeps the old score when the new one compares equal (0 and -0 included).
                if (_small[index].Score == score)
                {
                    return false;
                }

                _small.RemoveAt(index);
            }

            // A listpack stores scores as text where -0 reads back as 0; the skip list keeps -0.
            score = score == 0 ? 0.0 : score;
            var at = _small.BinarySearch(new ScoredMember(member, score), Comparer);
            _small.Insert(~at, new ScoredMember(member, score));
            var limits = EncodingLimits.Current;
            if (_small.Count > limits.ZsetMaxListpackEntries || member.Length > limits.ZsetMaxListpackValue)
            {
                ConvertToSkipList();
            }

            return index < 0;
        }

        if (_scores!.TryGetValue(member, out var old))
        {
            if (old == score)
            {
                return false;
            }

            _list!.Delete(old, member);
            _list.Insert(score, member);
            _scores[member] = score;
            _trail?.Record(new(member, old));
            return false;
        }

        _list!.Insert(score, member);
        _scores[member] = score;
        _scanIndex?.Add(member);
        _ordinal?.Add(member);
        _trail?.Record(new(member, null));
        return true;
    }

    public bool Remove(byte[] member)
    {
        if (_small is not null)
        {
            var index = FindSmall(member);
            if (index >= 0)
            {
                _small.RemoveAt(index);
            }

            return index >= 0;
        }

        if (!_scores!.Remove(member, out var score))
        {
            return false;
        }

        _list!.Delete(score, member);
        _scanIndex?.Remove(member);
        _ordinal?.Remove(member);
        _trail?.Record(new(member, score));
        return true;
    }

    /// <summary>The 0-based ascending rank of <paramref name="member"/>, or -1.</summary>
    public int RankOf(byte[] member)
    {
        if (_small is not null)
        {
            return FindSmall(member);
        }

        return _scores!.TryGetValue(member, out var score) ? _list!.RankOf(score, member) : -1;
    }

    public ScoredMember At(int rank)
    {
        if (_small is not null)
        {
            return _small[rank];
        }

        var node = _list!.At(rank);
        return new ScoredMember(node.Member, node.Score);
    }

    /// <summary>How many members score below <paramref name="bound"/> (or at most it when <paramref name="inclusive"/>).</summary>
    public int CountBelowScore(double bound, bool inclusive) =>
        CountWhile(e => inclusive ? e.Score <= bound : e.Score < bound, n => inclusive ? n.Score <= bound : n.Score < bound);

    /// <summary>How many members sort below <paramref name="bound"/> (or at most it when <paramref name="inclusive"/>), ordinal.</summary>
    public int CountBelowMember(byte[] bound, bool inclusive)
    {
        int Test(byte[] member) => ByteStringComparer.Instance.Compare(member, bound);
        return CountWhile(e => inclusive ? Test(e.Member) <= 0 : Test(e.Member) < 0, n => inclusive ? Test(n.Member) <= 0 : Test(n.Member) < 0);
    }

    /// <summary>Members at ranks <paramref name="first"/>..<paramref name="last"/> (inclusive), ascending or descending.</summary>
    public IEnumerable<ScoredMember> Range(int first, int last, bool reverse)
    {
        if (first > last)
        {
            yield break;
        }

        if (_small is not null)
        {
            for (var i = 0; i <= last - first; i++)
            {
                yield return _small[reverse ? last - i : first + i];
            }

            yield break;
        }

        var node = _list!.At(reverse ? last : first);
        for (var i = 0; i <= last - first && node is not null; i++)
        {
            yield return new ScoredMember(node.Member, node.Score);
            node = reverse ? node.Previous : node.Following;
        }
    }

    /// <summary>The scan order of a skiplist sorted set, by member (<see cref="ElementScanIndex.Of"/>).</summary>
    public ElementScanIndex ScanIndex() => ElementScanIndex.Of(ref _scanIndex, _scores!.Keys);

    public IEnumerable<ScoredMember> All() => Range(0, Count - 1, reverse: false);

    /// <summary>
    /// The members in ordinal order, the canonical order random choices are made in. A skiplist set's is kept in step
    /// (<see cref="OrdinalIndex"/>).
    /// </summary>
    public IReadOnlyList<byte[]> OrdinalMembers()
    {
        if (_small is not null)
        {
            var members = _small.Select(static m => m.Member).ToArray();
            Array.Sort(members, ByteStringComparer.Instance);
            return members;
        }

        return OrdinalIndex.Of(ref _ordinal, _scores!.Keys).Members;
    }

    public override StoredValue Clone()
    {
        if (_small is not null)
        {
            return new SortedSetValue { _small = [.. _small] };
        }

        var copy = new SortedSetValue();
        copy.ConvertToSkipList();
        foreach (var element in All())
        {
            copy.Set(element.Member, element.Score);
        }

        return copy;
    }

    /// <summary>A skiplist sorted set records each member's score before its change; a listpack is copied instead.</summary>
    public override UndoTrail? TrackChanges() =>
        _small is null && _trail is null
            ? _trail = new UndoSteps<SortedSetValue, KeyValuePair<byte[], double?>>(this, UndoStep, static zset => zset.Count, static zset => zset._trail = null)
            : null;

    private static void UndoStep(SortedSetValue zset, KeyValuePair<byte[], double?> before)
    {
        if (before.Value is { } score)
        {
            zset.Set(before.Key, score);
        }
        else
        {
            zset.Remove(before.Key);
        }
    }

    /// <summary>The representation (0 listpack, 1 skiplist), then the canonical form.</summary>
    public override void WriteSnapshot(CanonicalWriter writer)
    {
        writer.WriteByte(_small is null ? (byte)1 : (byte)0);
        WriteCanonical(writer);
    }

    /// <summary>
    /// A sorted set read from a snapshot, in the representation it was written in whatever the limits are now; null when
    /// a score is NaN or a member repeats.
    /// </summary>
    public static SortedSetValue? Load(bool listpack, IReadOnlyList<ScoredMember> members)
    {
        var zset = new SortedSetValue();
        if (!listpack)
        {
            zset.ConvertToSkipList();
        }

        var seen = new HashSet<byte[]>(ByteStringComparer.Instance);
        var small = new List<ScoredMember>(listpack ? members.Count : 0);
        foreach (var (member, score) in members)
        {
            if (double.IsNaN(score) || !seen.Add(member))
            {
                return null;
            }

            if (listpack)
            {
                // As Set keeps it: a listpack stores scores as text, where -0 reads back as 0.
                small.Add(new ScoredMember(member, score == 0 ? 0.0 : score));
            }
            else
            {
                zset.Set(member, score);
            }
        }

        if (listpack)
        {
            small.Sort(Comparer);
            zset._small = small;
        }

        return zset;
    }

    // Snapshots and digests write every sorted set: this walks the representation itself, allocating nothing (All() is
    // an iterator object).
    public override void WriteCanonical(CanonicalWriter writer)
    {
        writer.WriteInt32(Count);
        if (_small is not null)
        {
            foreach (var (member, score) in _small)
            {
                writer.WriteString(member);
                writer.WriteDouble(score);
            }

            return;
        }

        for (var node = _list!.First; node is not null; node = node.Following)
        {
            writer.WriteString(node.Member);
            writer.WriteDouble(node.Score);
        }
    }

    private static readonly Comparer<ScoredMember> Comparer = Comparer<ScoredMember>.Create(static (a, b) =>
    {
        if (a.Score != b.Score)
        {
            return a.Score < b.Score ? -1 : 1;
        }

        return ByteStringComparer.Instance.Compare(a.Member, b.Member);
    });

    private int CountWhile(Func<ScoredMember, bool> small, Func<ScoreSkipList.Node, bool> large)
    {
        if (_small is null)
        {
            return _list!.CountWhile(large);
        }

        // Binary search over the prefix where the predicate holds.
        int low = 0, high = _small.Count;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (small(_small[mid]))
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    private int FindSmall(byte[] member)
    {
        for (var i = 0; i < _small!.Count; i++)
        {
            if (_small[i].Member.AsSpan().SequenceEqual(member))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Switches to the skip list (SORT does this to any listpack zset it reads, as Redis does).</summary>
    public void ConvertToSkipList()
    {
        if (_small is null)
        {
            return;
        }

        _list = new ScoreSkipList();
        _scores = new Dictionary<byte[], double>(ByteStringComparer.Instance);
        foreach (var (member, score) in _small!)
        {
            _list.Insert(score, member);
            _scores[member] = score;
        }

        _small = null;
    }
}
