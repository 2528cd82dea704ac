using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Values;

/// <summary>
/// An order-statistic skip list of (score, member) in Redis's zset order (score, then ordinal member), with
/// span counts so that rank lookups, access by rank and counting below a bound are O(log n). Node levels
/// come from a generator seeded per list: the shape never reaches a reply, so it need not match between
/// replicas, but it is deterministic anyway.
/// </summary>
internal sealed class ScoreSkipList
{
    private const int MaxLevel = 32;

    private readonly Node _head = new([], 0, MaxLevel);
    private ulong _levelState = 0x2545F4914F6CDD1DUL;
    private int _level = 1;

    public int Count { get; private set; }

    /// <summary>The first node (lowest), or null.</summary>
    public Node? First => _head.Next[0];

    /// <summary>The last node (highest), or null.</summary>
    public Node? Last { get; private set; }

    public static int Compare(double score, byte[] member, Node node)
    {
        if (score != node.Score)
        {
            return score < node.Score ? -1 : 1;
        }

        return ByteStringComparer.Instance.Compare(member, node.Member);
    }

    /// <summary>Inserts a member that is not in the list.</summary>
    public void Insert(double score, byte[] member)
    {
        var update = new Node[MaxLevel];
        var rank = new int[MaxLevel];
        var x = _head;
        for (var i = _level - 1; i >= 0; i--)
        {
            rank[i] = i == _level - 1 ? 0 : rank[i + 1];
            while (x.Next[i] is { } next && Compare(score, member, next) > 0)
            {
                rank[i] += x.Span[i];
                x = next;
            }

            update[i] = x;
        }

        var level = RandomLevel();
        if (level > _level)
        {
            for (var i = _level; i < level; i++)
            {
                rank[i] = 0;
                update[i] = _head;
                update[i].Span[i] = Count;
            }

            _level = level;
        }

        var node = new Node(member, score, level);
        for (var i = 0; i < level; i++)
        {
            node.Next[i] = update[i].Next[i];
            update[i].Next[i] = node;
            node.Span[i] = update[i].Span[i] - (rank[0] - rank[i]);
            update[i].Span[i] = rank[0] - rank[i] + 1;
        }

        for (var i = level; i < _level; i++)
        {
            update[i].Span[i]++;
        }

        node.Previous = update[0] == _head ? null : update[0];
        if (node.Next[0] is { } after)
        {
            after.Previous = node;
        }
        else
        {
            Last = node;
        }

        Count++;
    }

    /// <summary>Removes (score, member); false when it is not in the list.</summary>
    public bool Delete(double score, byte[] member)
    {
        var update = new Node[MaxLevel];
        var x = _head;
        for (var i = _level - 1; i >= 0; i--)
        {
            while (x.Next[i] is { } next && Compare(score, member, next) > 0)
            {
                x = next;
            }

            update[i] = x;
        }

        var target = x.Next[0];
        if (target is null || Compare(score, member, target) != 0)
        {
            return false;
        }

        for (var i = 0; i < _level; i++)
        {
            if (update[i].Next[i] == target)
            {
                update[i].Span[i] += target.Span[i] - 1;
                update[i].Next[i] = target.Next[i];
            }
            else
            {
                update[i].Span[i]--;
            }
        }

        if (target.Next[0] is { } after)
        {
            after.Previous = target.Previous;
        }
        else
        {
            Last = target.Previous;
        }

        while (_level > 1 && _head.Next[_level - 1] is null)
        {
            _level--;
        }

        Count--;
        return true;
    }

    /// <summary>The 0-based rank of (score, member), which must be in the list.</summary>
    public int RankOf(double score, byte[] member) => CountWhile(node => Compare(score, member, node) > 0);

    /// <summary>
    /// How many leading nodes satisfy <paramref name="isBefore"/>, which must hold for a prefix of the list
    /// and fail for the rest (e.g. "score below the range's minimum").
    /// </summary>
    public int CountWhile(Func<Node, bool> isBefore)
    {
        var rank = 0;
        var x = _head;
        for (var i = _level - 1; i >= 0; i--)
        {
            while (x.Next[i] is { } next && isBefore(next))
            {
                rank += x.Span[i];
                x = next;
            }
        }

        return rank;
    }

    /// <summary>The node at 0-based <paramref name="rank"/> (0..Count-1).</summary>
    public Node At(int rank)
    {
        var traversed = 0;
        var x = _head;
        var target = rank + 1;
        for (var i = _level - 1; i >= 0; i--)
        {
            while (x.Next[i] is not null && traversed + x.Span[i] <= target)
            {
                traversed += x.Span[i];
                x = x.Next[i]!;
            }

            if (traversed == target)
            {
                return x;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(rank));
    }

    private int RandomLevel()
    {
        // Each further level with probability 1/4, as Redis's ZSKIPLIST_P.
        _levelState ^= _levelState << 13;
        _levelState ^= _levelState >> 7;
        _levelState ^= _levelState << 17;
        var bits = _levelState;
        var level = 1;
        while (level < MaxLevel && (bits & 3) == 0)
        {
            level++;
            bits >>= 2;
        }

        return level;
    }

    internal sealed class Node(byte[] member, double score, int level)
    {
        public byte[] Member { get; } = member;

        public double Score { get; } = score;

        public Node?[] Next { get; } = new Node?[level];

        public int[] Span { get; } = new int[level];

        public Node? Previous { get; set; }

        public Node? Following => Next[0];
    }
}
