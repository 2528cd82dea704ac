using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// The sorted-set range commands (ZRANGE and its legacy forms, ZRANGESTORE, ZCOUNT, ZLEXCOUNT,
/// ZREMRANGEBY*) as Redis 7.0's zrangeGenericCommand parses them. Every range becomes a rank interval in
/// O(log n); only the elements returned are visited.
/// </summary>
internal static class SortedSetRangeCommands
{
    public enum RangeKind
    {
        Auto,
        Rank,
        Score,
        Lex,
    }

    /// <summary>
    /// ZRANGE-like commands. <paramref name="store"/>: args[0] is the destination and args[1] the source;
    /// otherwise args[0] is the key. <paramref name="kind"/> and <paramref name="reverse"/> are fixed by the
    /// legacy commands (Auto / null lets the options choose).
    /// </summary>
    public static Reply Range(KeyTable keys, byte[][] args, long now, RangeKind kind, bool? reverse, bool store)
    {
        var keyIndex = store ? 1 : 0;
        bool withScores = false;
        long offset = 0, limit = -1;
        var direction = reverse;
        for (var j = keyIndex + 3; j < args.Length; j++)
        {
            var left = args.Length - j - 1;
            if (!store && Keyword.Is(args[j], "WITHSCORES"u8))
            {
                withScores = true;
            }
            else if (Keyword.Is(args[j], "LIMIT"u8) && left >= 2)
            {
                if (!RedisIntegers.TryParse(args[j + 1], out offset) || !RedisIntegers.TryParse(args[j + 2], out limit))
                {
                    return Reply.Error(ErrorTexts.NotInteger);
                }

                j += 2;
            }
            else if (direction is null && Keyword.Is(args[j], "REV"u8))
            {
                direction = true;
            }
            else if (kind == RangeKind.Auto && Keyword.Is(args[j], "BYLEX"u8))
            {
                kind = RangeKind.Lex;
            }
            else if (kind == RangeKind.Auto && Keyword.Is(args[j], "BYSCORE"u8))
            {
                kind = RangeKind.Score;
            }
            else
            {
                return Reply.Error(ErrorTexts.Syntax);
            }
        }

        var descending = direction ?? false;
        kind = kind == RangeKind.Auto ? RangeKind.Rank : kind;
        if (limit != -1 && kind == RangeKind.Rank)
        {
            return Reply.Error(ErrorTexts.LimitNeedsByScoreOrLex);
        }

        if (withScores && kind == RangeKind.Lex)
        {
            return Reply.Error(ErrorTexts.WithScoresByLex);
        }

        var minText = args[keyIndex + 1];
        var maxText = args[keyIndex + 2];
        if (descending && kind != RangeKind.Rank)
        {
            (minText, maxText) = (maxText, minText);
        }

        if (!TryParseRange(kind, minText, maxText, out var range, out var error))
        {
            return error!;
        }

        var entry = store ? keys.FindForWrite(args[keyIndex], now) : keys.FindLive(args[keyIndex], now);
        if (!TypedEntry.TryAs(entry, out SortedSetValue? zset))
        {
            return TypedEntry.WrongType;
        }

        var result = zset is null ? [] : Select(zset, kind, range, descending, offset, limit);
        if (store)
        {
            return Store(keys, args[0], result, now, "zrangestore");
        }

        return ScoredReply.Of(result, withScores);
    }

    public static Reply Count(KeyTable keys, byte[][] args, long now, bool lex)
    {
        if (!TryParseRange(lex ? RangeKind.Lex : RangeKind.Score, args[1], args[2], out var range, out var error))
        {
            return error!;
        }

        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out SortedSetValue? zset))
        {
            return TypedEntry.WrongType;
        }

        if (zset is null)
        {
            return Reply.Zero;
        }

        var (first, last) = Ranks(zset, lex ? RangeKind.Lex : RangeKind.Score, range);
        return Reply.Integer(Math.Max(0, last - first + 1));
    }

    public static Reply RemoveRange(KeyTable keys, byte[][] args, long now, RangeKind kind)
    {
        if (!TryParseRange(kind, args[1], args[2], out var range, out var error))
        {
            return error!;
        }

        // A range that holds no member removes nothing (Redis signals no change).
        if (!TypedEntry.TryAs(keys.FindForWriteUnless(args[0], now, e => e.Value is not SortedSetValue held || IsEmpty(Ranks(held, kind, range))), out SortedSetValue? zset))
        {
            return TypedEntry.WrongType;
        }

        if (zset is null)
        {
            return Reply.Zero;
        }

        var (first, last) = Ranks(zset, kind, range);
        if (first > last)
        {
            return Reply.Zero;
        }

        foreach (var element in zset.Range(first, last, reverse: false).ToList())
        {
            zset.Remove(element.Member);
        }

        keys.Notify(KeyspaceEvents.Zset, kind switch { RangeKind.Rank => "zremrangebyrank", RangeKind.Score => "zremrangebyscore", _ => "zremrangebylex" }, args[0]);
        TypedEntry.DeleteIfEmpty(keys, args[0], zset.Count);
        return Reply.Integer(last - first + 1);
    }

    private static bool IsEmpty((int First, int Last) ranks) => ranks.First > ranks.Last;

    /// <summary>
    /// Stores a result as Redis does: listpack-sized results as a listpack, reported as <paramref name="eventName"/>; an
    /// empty one deletes the key ("del").
    /// </summary>
    public static Reply Store(KeyTable keys, byte[] destination, IReadOnlyList<ScoredMember> result, long now, string eventName)
    {
        keys.FindForWrite(destination, now);
        if (result.Count == 0)
        {
            if (keys.Remove(destination))
            {
                keys.Notify(KeyspaceEvents.Generic, "del", destination);
            }

            return Reply.Zero;
        }

        var zset = SortedSetValue.Create(result.Count, result.Max(e => (long)e.Member.Length));
        foreach (var element in result)
        {
            zset.Set(element.Member, element.Score);
        }

        keys.Put(destination, zset, KeyEntry.NoExpiry);
        keys.Notify(KeyspaceEvents.Zset, eventName, destination);
        return Reply.Integer(zset.Count);
    }

    private static List<ScoredMember> Select(SortedSetValue zset, RangeKind kind, ParsedRange range, bool descending, long offset, long limit)
    {
        int first, last;
        if (kind == RangeKind.Rank)
        {
            if (!Ranges.TryResolve(range.Start, range.End, zset.Count, out first, out last))
            {
                return [];
            }

            if (descending)
            {
                (first, last) = (zset.Count - 1 - last, zset.Count - 1 - first);
            }
        }
        else
        {
            (first, last) = Ranks(zset, kind, range);
            if (offset < 0 || first > last)
            {
                return [];
            }

            var available = last - first + 1;
            var skip = (int)Math.Min(offset, available);
            var take = limit < 0 ? available - skip : (int)Math.Min(limit, available - skip);
            if (take <= 0)
            {
                return [];
            }

            if (descending)
            {
                last -= skip;
                first = last - take + 1;
            }
            else
            {
                first += skip;
                last = first + take - 1;
            }
        }

        return [.. zset.Range(first, last, descending)];
    }

    private static (int First, int Last) Ranks(SortedSetValue zset, RangeKind kind, ParsedRange range) =>
        kind switch
        {
            RangeKind.Lex => ZRangeBounds.LexRanks(zset, range.LexMin, range.LexMax),
            RangeKind.Score => ZRangeBounds.ScoreRanks(zset, range.Min, range.MinExclusive, range.Max, range.MaxExclusive),
            _ => Ranges.TryResolve(range.Start, range.End, zset.Count, out var first, out var last) ? (first, last) : (0, -1),
        };

    private static bool TryParseRange(RangeKind kind, byte[] minText, byte[] maxText, out ParsedRange range, out Reply? error)
    {
        range = default;
        error = null;
        switch (kind)
        {
            case RangeKind.Score:
                if (!ZRangeBounds.TryParseScore(minText, out var min, out var minEx) || !ZRangeBounds.TryParseScore(maxText, out var max, out var maxEx))
                {
                    error = Reply.Error(ErrorTexts.MinMaxNotFloat);
                    return false;
                }

                range = new ParsedRange { Min = min, MinExclusive = minEx, Max = max, MaxExclusive = maxEx };
                return true;
            case RangeKind.Lex:
                if (!ZRangeBounds.TryParseLex(minText, out var lexMin) || !ZRangeBounds.TryParseLex(maxText, out var lexMax))
                {
                    error = Reply.Error(ErrorTexts.MinMaxNotLex);
                    return false;
                }

                range = new ParsedRange { LexMin = lexMin, LexMax = lexMax };
                return true;
            default:
                if (!RedisIntegers.TryParse(minText, out var start) || !RedisIntegers.TryParse(maxText, out var end))
                {
                    error = Reply.Error(ErrorTexts.NotInteger);
                    return false;
                }

                range = new ParsedRange { Start = start, End = end };
                return true;
        }
    }

    private readonly record struct ParsedRange
    {
        public long Start { get; init; }

        public long End { get; init; }

        public double Min { get; init; }

        public bool MinExclusive { get; init; }

        public double Max { get; init; }

        public bool MaxExclusive { get; init; }

        public LexBound LexMin { get; init; }

        public LexBound LexMax { get; init; }
    }
}
