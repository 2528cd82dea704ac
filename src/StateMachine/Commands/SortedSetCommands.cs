using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// Single-key sorted-set commands with Redis 7.0 semantics: ZADD, ZINCRBY, ZSCORE, ZMSCORE, ZCARD, ZREM,
/// ZRANK, ZREVRANK, ZPOPMIN, ZPOPMAX and ZMPOP. Ranges are in <see cref="SortedSetRangeCommands"/>.
/// </summary>
internal static class SortedSetCommands
{
    public static Reply Add(KeyTable keys, byte[][] args, long now, bool incrOnly)
    {
        bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = incrOnly;
        var scoreIndex = 1;
        for (; !incrOnly && scoreIndex < args.Length; scoreIndex++)
        {
            var option = args[scoreIndex];
            if (Keyword.Is(option, "NX"u8)) { nx = true; }
            else if (Keyword.Is(option, "XX"u8)) { xx = true; }
            else if (Keyword.Is(option, "GT"u8)) { gt = true; }
            else if (Keyword.Is(option, "LT"u8)) { lt = true; }
            else if (Keyword.Is(option, "CH"u8)) { ch = true; }
            else if (Keyword.Is(option, "INCR"u8)) { incr = true; }
            else { break; }
        }

        var elements = args.Length - scoreIndex;
        if (elements % 2 != 0 || elements == 0)
        {
            return Reply.Error(ErrorTexts.Syntax);
        }

        elements /= 2;
        if (nx && xx)
        {
            return Reply.Error(ErrorTexts.ZaddNxXx);
        }

        if ((gt && nx) || (lt && nx) || (gt && lt))
        {
            return Reply.Error(ErrorTexts.ZaddGtLtNx);
        }

        if (incr && elements > 1)
        {
            return Reply.Error(ErrorTexts.ZaddIncrSingle);
        }

        var scores = new double[elements];
        long longest = 0;
        for (var i = 0; i < elements; i++)
        {
            if (!RedisNumber.TryParseDouble(args[scoreIndex + (2 * i)], out scores[i]))
            {
                return Reply.Error(ErrorTexts.NotFloat);
            }

            longest = Math.Max(longest, args[scoreIndex + (2 * i) + 1].Length);
        }

        // A ZADD or ZINCRBY that adds no member and changes no score (NX of members there, XX of members absent, GT or LT
        // refusing, an increment by 0, the same score) changes nothing (Redis signals no change).
        bool Changes(SortedSetValue held)
        {
            for (var i = 0; i < elements; i++)
            {
                var score = scores[i];
                if (!held.TryGetScore(args[scoreIndex + (2 * i) + 1], out var current))
                {
                    if (!xx)
                    {
                        return true;
                    }

                    continue;
                }

                score = incr ? score + current : score;
                if (!nx && !double.IsNaN(score) && !(lt && score >= current) && !(gt && score <= current) && score != current)
                {
                    return true;
                }
            }

            return false;
        }

        if (!TypedEntry.TryAs(keys.FindForWriteUnless(args[0], now, e => e.Value is not SortedSetValue held || !Changes(held)), out SortedSetValue? zset))
        {
            return TypedEntry.WrongType;
        }

        if (zset is null)
        {
            if (xx)
            {
                return incr ? Reply.Null : Reply.Zero;
            }

            zset = SortedSetValue.Create(elements, longest);
            keys.Put(args[0], zset, KeyEntry.NoExpiry);
        }

        long added = 0, updated = 0;
        double result = 0;
        var processed = false;
        for (var i = 0; i < elements; i++)
        {
            var member = args[scoreIndex + (2 * i) + 1];
            var score = scores[i];
            if (zset.TryGetScore(member, out var current))
            {
                if (nx)
                {
                    continue;
                }

                if (incr)
                {
                    score += current;
                    if (double.IsNaN(score))
                    {
                        TypedEntry.DeleteIfEmpty(keys, args[0], zset.Count);
                        return Reply.Error(ErrorTexts.ScoreNaN);
                    }
                }

                if ((lt && score >= current) || (gt && score <= current))
                {
                    continue;
                }

                processed = true;
                result = score;
                if (score != current)
                {
                    zset.Set(member, score);
                    updated++;
                }
            }
            else if (!xx)
            {
                zset.Set(member, score);
                added++;
                processed = true;
                result = score;
            }
        }

        if (added + updated > 0)
        {
            keys.Notify(KeyspaceEvents.Zset, incr ? "zincr" : "zadd", args[0]);
        }

        TypedEntry.DeleteIfEmpty(keys, args[0], zset.Count);
        if (incr)
        {
            return processed ? Reply.Double(result) : Reply.Null;
        }

        return Reply.Integer(ch ? added + updated : added);
    }

    public static Reply Score(KeyTable keys, byte[][] args, long now)
    {
        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out SortedSetValue? zset))
        {
            return TypedEntry.WrongType;
        }

        return zset is not null && zset.TryGetScore(args[1], out var score) ? Reply.Double(score) : Reply.Null;
    }

    public static Reply Scores(KeyTable keys, byte[][] args, long now)
    {
        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out SortedSetValue? zset))
        {
            return TypedEntry.WrongType;
        }

        return Reply.Array([.. args[1..].Select(m => zset is not null && zset.TryGetScore(m, out var s) ? Reply.Double(s) : Reply.Null)]);
    }

    public static Reply Cardinality(KeyTable keys, byte[][] args, long now) =>
        TypedEntry.TryAs(keys.FindLive(args[0], now), out SortedSetValue? zset) ? Reply.Integer(zset?.Count ?? 0) : TypedEntry.WrongType;

    public static Reply Remove(KeyTable keys, byte[][] args, long now)
    {
        var entry = keys.FindForWriteUnless(args[0], now, e => e.Value is not SortedSetValue held || !args.Skip(1).Any(member => held.TryGetScore(member, out _)));
        if (!TypedEntry.TryAs(entry, out SortedSetValue? zset))
        {
            return TypedEntry.WrongType;
        }

        if (zset is null)
        {
            return Reply.Zero;
        }

        long removed = 0;
        for (var i = 1; i < args.Length && zset.Count > 0; i++)
        {
            removed += zset.Remove(args[i]) ? 1 : 0;
        }

        if (removed > 0)
        {
            keys.Notify(KeyspaceEvents.Zset, "zrem", args[0]);
        }

        TypedEntry.DeleteIfEmpty(keys, args[0], zset.Count);
        return Reply.Integer(removed);
    }

    public static Reply Rank(KeyTable keys, byte[][] args, long now, bool reverse)
    {
        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out SortedSetValue? zset))
        {
            return TypedEntry.WrongType;
        }

        var rank = zset?.RankOf(args[1]) ?? -1;
        if (rank < 0)
        {
            return Reply.Null;
        }

        return Reply.Integer(reverse ? zset!.Count - 1 - rank : rank);
    }

    /// <summary>ZPOPMIN / ZPOPMAX key [count]: member, score pairs (flat under RESP2).</summary>
    public static Reply Pop(KeyTable keys, byte[][] args, long now, bool max)
    {
        if (args.Length > 2)
        {
            return Reply.Error(ErrorTexts.Syntax);
        }

        long count = 1;
        if (args.Length == 2)
        {
            if (!RedisIntegers.TryParse(args[1], out count) || count < 0)
            {
                return Reply.Error(ErrorTexts.MustBePositive);
            }
        }

        // A count of 0 pops nothing (Redis signals no change).
        if (!TypedEntry.TryAs(keys.FindForWriteUnless(args[0], now, _ => count == 0), out SortedSetValue? zset))
        {
            return TypedEntry.WrongType;
        }

        if (zset is null || count == 0)
        {
            return Reply.EmptyArray;
        }

        var popped = PopMany(keys, args[0], zset, max, count);

        // With COUNT, Redis 7 nests the pairs under RESP3; without it the one pair stays flat.
        return args.Length == 2
            ? ScoredReply.Of(popped, withScores: true)
            : Reply.Array([.. popped.SelectMany(e => new[] { Reply.Bulk(e.Member), Reply.Double(e.Score) })]);
    }

    /// <summary>ZMPOP numkeys key... MIN|MAX [COUNT n]: <c>[key, [[member, score]...]]</c> from the first non-empty key.</summary>
    public static Reply MultiPop(KeyTable keys, byte[][] args, long now)
    {
        if (!TryParseMultiPop(args, out var sourceKeys, out var max, out var count, out var error))
        {
            return error!;
        }

        return PopFirstNonEmpty(keys, sourceKeys, max, count, now) ?? Reply.NullArray;
    }

    public static bool TryParseMultiPop(byte[][] args, out byte[][] sourceKeys, out bool max, out long count, out Reply? error)
    {
        sourceKeys = [];
        max = false;
        count = 1;
        error = null;
        if (!RedisIntegers.TryParse(args[0], out var numKeys) || numKeys < 1)
        {
            error = Reply.Error(ErrorTexts.NumKeysPositive);
            return false;
        }

        if (numKeys >= args.Length - 1 || !(Keyword.Is(args[numKeys + 1], "MIN"u8) || Keyword.Is(args[numKeys + 1], "MAX"u8)))
        {
            error = Reply.Error(ErrorTexts.Syntax);
            return false;
        }

        max = Keyword.Is(args[numKeys + 1], "MAX"u8);
        var countSeen = false;
        for (var i = (int)numKeys + 2; i < args.Length; i++)
        {
            if (!countSeen && Keyword.Is(args[i], "COUNT"u8) && i + 1 < args.Length)
            {
                countSeen = true;
                if (!RedisIntegers.TryParse(args[++i], out count) || count < 1)
                {
                    error = Reply.Error(ErrorTexts.CountPositive);
                    return false;
                }
            }
            else
            {
                error = Reply.Error(ErrorTexts.Syntax);
                return false;
            }
        }

        sourceKeys = args[1..((int)numKeys + 1)];
        return true;
    }

    public static Reply? PopFirstNonEmpty(KeyTable keys, byte[][] sourceKeys, bool max, long count, long now)
    {
        foreach (var key in sourceKeys)
        {
            if (!TypedEntry.TryAs(keys.FindForWrite(key, now), out SortedSetValue? zset))
            {
                return TypedEntry.WrongType;
            }

            if (zset is not null)
            {
                var popped = PopMany(keys, key, zset, max, count);
                return Reply.Array(Reply.Bulk(key), Reply.Array([.. popped.Select(e => Reply.Array(Reply.Bulk(e.Member), Reply.Double(e.Score)))]));
            }
        }

        return null;
    }

    public static List<ScoredMember> PopMany(KeyTable keys, byte[] key, SortedSetValue zset, bool max, long count)
    {
        var popped = new List<ScoredMember>();
        while (popped.Count < count && zset.Count > 0)
        {
            var element = zset.At(max ? zset.Count - 1 : 0);
            zset.Remove(element.Member);
            popped.Add(element);
        }

        if (popped.Count > 0)
        {
            keys.Notify(KeyspaceEvents.Zset, max ? "zpopmax" : "zpopmin", key);
        }

        TypedEntry.DeleteIfEmpty(keys, key, zset.Count);
        return popped;
    }
}
