using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (sources may be sets, scoring 1), plus
/// ZRANDMEMBER and ZSCAN, with Redis 7.0 semantics. Sources are combined in Redis's order (smallest first,
/// stable) so that floating-point sums come out the same.
/// </summary>
internal static class SortedSetAlgebraCommands
{
    private enum Aggregate
    {
        Sum,
        Min,
        Max,
    }

    /// <summary>args start at numkeys, or at the destination when <paramref name="store"/>.</summary>
    public static Reply Combine(KeyTable keys, byte[][] args, long now, SetAlgebraCommands.Operation operation, bool store, string name)
    {
        var numKeysIndex = store ? 1 : 0;
        if (!RedisIntegers.TryParse(args[numKeysIndex], out var numKeys))
        {
            return Reply.Error(ErrorTexts.NotInteger);
        }

        if (numKeys < 1)
        {
            return Reply.Error(ErrorTexts.AtLeastOneKey(name));
        }

        if (numKeys > args.Length - numKeysIndex - 1)
        {
            return Reply.Error(ErrorTexts.Syntax);
        }

        if (!TryLoadSources(keys, args, numKeysIndex + 1, (int)numKeys, now, store, out var sources))
        {
            return TypedEntry.WrongType;
        }

        var weights = Enumerable.Repeat(1.0, (int)numKeys).ToArray();
        var aggregate = Aggregate.Sum;
        var withScores = false;
        var diff = operation == SetAlgebraCommands.Operation.Diff;
        for (var j = numKeysIndex + 1 + (int)numKeys; j < args.Length;)
        {
            var remaining = args.Length - j;
            if (!diff && remaining >= numKeys + 1 && Keyword.Is(args[j], "WEIGHTS"u8))
            {
                for (var i = 0; i < numKeys; i++)
                {
                    if (!RedisNumber.TryParseDouble(args[j + 1 + i], out weights[i]))
                    {
                        return Reply.Error(ErrorTexts.WeightNotFloat);
                    }
                }

                j += 1 + (int)numKeys;
            }
            else if (!diff && remaining >= 2 && Keyword.Is(args[j], "AGGREGATE"u8))
            {
                var word = args[j + 1];
                if (Keyword.Is(word, "SUM"u8)) { aggregate = Aggregate.Sum; }
                else if (Keyword.Is(word, "MIN"u8)) { aggregate = Aggregate.Min; }
                else if (Keyword.Is(word, "MAX"u8)) { aggregate = Aggregate.Max; }
                else { return Reply.Error(ErrorTexts.Syntax); }

                j += 2;
            }
            else if (!store && Keyword.Is(args[j], "WITHSCORES"u8))
            {
                withScores = true;
                j++;
            }
            else
            {
                return Reply.Error(ErrorTexts.Syntax);
            }
        }

        var result = Compute(sources, weights, aggregate, operation);
        if (store)
        {
            return SortedSetRangeCommands.Store(keys, args[0], result, now, name);
        }

        return ScoredReply.Of(result, withScores);
    }

    public static Reply InterCard(KeyTable keys, byte[][] args, long now)
    {
        if (!RedisIntegers.TryParse(args[0], out var numKeys))
        {
            return Reply.Error(ErrorTexts.NotInteger);
        }

        if (numKeys < 1)
        {
            return Reply.Error(ErrorTexts.AtLeastOneKey("zintercard"));
        }

        if (numKeys > args.Length - 1)
        {
            return Reply.Error(ErrorTexts.Syntax);
        }

        if (!TryLoadSources(keys, args, 1, (int)numKeys, now, store: false, out var sources))
        {
            return TypedEntry.WrongType;
        }

        long limit = 0;
        for (var j = 1 + (int)numKeys; j < args.Length; j++)
        {
            if (Keyword.Is(args[j], "LIMIT"u8) && j + 1 < args.Length)
            {
                if (!RedisIntegers.TryParse(args[++j], out limit) || limit < 0)
                {
                    return Reply.Error(ErrorTexts.LimitNegative);
                }
            }
            else
            {
                return Reply.Error(ErrorTexts.Syntax);
            }
        }

        long count = Compute(sources, [.. Enumerable.Repeat(1.0, (int)numKeys)], Aggregate.Sum, SetAlgebraCommands.Operation.Inter).Count;
        return Reply.Integer(limit > 0 ? Math.Min(count, limit) : count);
    }

    public static Reply RandomMember(KeyTable keys, byte[][] args, long now, DeterministicRandom random)
    {
        long count = 0;
        var withScores = false;
        if (args.Length >= 2 && !RandomChoice.TryParseCount(args, "WITHSCORES"u8, out count, out withScores, out var error))
        {
            return error!;
        }

        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out SortedSetValue? zset))
        {
            return TypedEntry.WrongType;
        }

        if (args.Length == 1)
        {
            return zset is null ? Reply.Null : Reply.Bulk(zset.OrdinalMembers()[random.Next(zset.Count)]);
        }

        if (zset is null || count == 0)
        {
            return Reply.EmptyArray;
        }

        List<ScoredMember> chosen;
        if (count >= zset.Count)
        {
            chosen = [.. zset.All()];
        }
        else
        {
            var canonical = zset.OrdinalMembers();
            var positions = count < 0
                ? RandomChoice.WithRepetition(canonical.Count, -count, random)
                : RandomChoice.Distinct(canonical.Count, (int)count, random);
            chosen = [.. positions.Select(i => new ScoredMember(canonical[i], zset.TryGetScore(canonical[i], out var score) ? score : 0))];
        }

        return ScoredReply.Of(chosen, withScores);
    }

    public static Reply Scan(KeyTable keys, byte[][] args, long now)
    {
        if (!ElementScan.TryParseCursor(args[1], out var cursor, out var error))
        {
            return error!;
        }

        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out SortedSetValue? zset))
        {
            return TypedEntry.WrongType;
        }

        if (zset is null)
        {
            return ElementScan.EmptyScan;
        }

        return zset.Encoding == "listpack"
            ? ElementScan.Whole(args, zset.All(), e => e.Member, e => [Reply.Bulk(e.Member), Reply.Double(e.Score)])
            : ElementScan.Walk(args, cursor, zset.ScanIndex(), m => zset.TryGetScore(m, out var score) ? [Reply.Bulk(m), Reply.Double(score)] : []);
    }

    // ZINTER and ZDIFF walk their first source (ZINTER its smallest) and look the others up, as Redis does: O(N*K), not a
    // copy of every source (a ZINTERSTORE of 10 members with a 1M-member leaderboard copied the leaderboard and hashed it).
    private static List<ScoredMember> Compute(ScoreSource?[] sources, double[] weights, Aggregate aggregate, SetAlgebraCommands.Operation operation)
    {
        var scores = new Dictionary<byte[], double>(ByteStringComparer.Instance);
        if (operation == SetAlgebraCommands.Operation.Diff)
        {
            if (sources[0] is { } first)
            {
                var others = sources.Skip(1).OfType<ScoreSource>().ToList();
                foreach (var element in first.Elements().Where(e => !others.Any(o => o.TryGetScore(e.Member, out _))))
                {
                    scores[element.Member] = element.Score;
                }
            }
        }
        else
        {
            // Redis sorts the sources by size (smallest first) before combining; keep ties in key order.
            var order = Enumerable.Range(0, sources.Length).OrderBy(i => sources[i]?.Count ?? 0).ToArray();
            if (operation == SetAlgebraCommands.Operation.Inter)
            {
                if (sources.Any(s => s is null))
                {
                    return [];
                }

                var lookups = order.Skip(1).Select(i => (Index: i, Source: sources[i]!)).ToList();
                foreach (var element in sources[order[0]]!.Elements())
                {
                    var score = Weigh(weights[order[0]], element.Score);
                    var inAll = true;
                    foreach (var (index, source) in lookups)
                    {
                        if (!source.TryGetScore(element.Member, out var other))
                        {
                            inAll = false;
                            break;
                        }

                        score = Combine(score, Weigh(weights[index], other), aggregate);
                    }

                    if (inAll)
                    {
                        scores[element.Member] = score;
                    }
                }
            }
            else
            {
                foreach (var i in order.Where(i => sources[i] is not null))
                {
                    foreach (var element in sources[i]!.Elements())
                    {
                        var score = Weigh(weights[i], element.Score);
                        scores[element.Member] = scores.TryGetValue(element.Member, out var existing) ? Combine(existing, score, aggregate) : score;
                    }
                }
            }
        }

        var result = scores.Select(p => new ScoredMember(p.Key, p.Value)).ToList();
        result.Sort(static (a, b) => a.Score != b.Score ? (a.Score < b.Score ? -1 : 1) : ByteStringComparer.Instance.Compare(a.Member, b.Member));
        return result;
    }

    private static double Weigh(double weight, double score)
    {
        var weighted = weight * score;
        return double.IsNaN(weighted) ? 0 : weighted;
    }

    private static double Combine(double target, double value, Aggregate aggregate)
    {
        switch (aggregate)
        {
            case Aggregate.Sum:
                var sum = target + value;
                return double.IsNaN(sum) ? 0 : sum;
            case Aggregate.Min:
                return value < target ? value : target;
            default:
                return value > target ? value : target;
        }
    }

    /// <summary>
    /// The members of <paramref name="count"/> keys from <paramref name="first"/>: sorted sets as they are, sets with
    /// score 1, missing keys as null. False when a key holds another type. Never stamped as changed (<see cref="KeySources.Find"/>).
    /// </summary>
    private static bool TryLoadSources(KeyTable keys, byte[][] args, int first, int count, long now, bool store, out ScoreSource?[] sources)
    {
        sources = new ScoreSource?[count];
        for (var i = 0; i < count; i++)
        {
            var key = args[first + i];
            var entry = KeySources.Find(keys, key, now, store);
            switch (entry?.Value)
            {
                case null:
                    break;
                case SortedSetValue zset:
                    sources[i] = new ScoreSource(zset, null);
                    break;
                case SetValue set:
                    sources[i] = new ScoreSource(null, set);
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A source read in place: a sorted set, or a set whose members score 1, in no particular order (each member's score is
    /// combined across sources in source order, and the result is sorted), so no ordinal index is built for a set source.
    /// </summary>
    private sealed class ScoreSource(SortedSetValue? zset, SetValue? set)
    {
        public int Count => zset?.Count ?? set!.Count;

        public IEnumerable<ScoredMember> Elements() =>
            zset is not null ? zset.All() : set!.Unordered().Select(static member => new ScoredMember(member, 1));

        public bool TryGetScore(byte[] member, out double score)
        {
            if (zset is not null)
            {
                return zset.TryGetScore(member, out score);
            }

            score = 1;
            return set!.Contains(member);
        }
    }
}
