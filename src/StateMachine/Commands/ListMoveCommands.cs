using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>LPOS, LMOVE, RPOPLPUSH and LMPOP with Redis 7.0 semantics.</summary>
internal static class ListMoveCommands
{
    public static Reply Position(KeyTable keys, byte[][] args, long now)
    {
        long rank = 1, count = -1, maxLength = 0;
        for (var i = 2; i < args.Length; i += 2)
        {
            var hasValue = i + 1 < args.Length;
            if (Keyword.Is(args[i], "RANK"u8) && hasValue)
            {
                if (!RedisIntegers.TryParse(args[i + 1], out rank))
                {
                    return Reply.Error(ErrorTexts.NotInteger);
                }

                if (rank == 0)
                {
                    return Reply.Error(ErrorTexts.RankZero);
                }
            }
            else if (Keyword.Is(args[i], "COUNT"u8) && hasValue)
            {
                if (!RedisIntegers.TryParse(args[i + 1], out count) || count < 0)
                {
                    return Reply.Error(ErrorTexts.CountNegative);
                }
            }
            else if (Keyword.Is(args[i], "MAXLEN"u8) && hasValue)
            {
                if (!RedisIntegers.TryParse(args[i + 1], out maxLength) || maxLength < 0)
                {
                    return Reply.Error(ErrorTexts.MaxLenNegative);
                }
            }
            else
            {
                return Reply.Error(ErrorTexts.Syntax);
            }
        }

        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out ListValue? list))
        {
            return TypedEntry.WrongType;
        }

        var matches = new List<Reply>();
        if (list is not null)
        {
            var forward = rank > 0;
            // Redis 7.0 negates a negative rank in C: LONG_MIN stays negative and acts as "every match", like -1.
            var skip = rank == long.MinValue ? 0 : Math.Abs(rank) - 1;
            var limit = maxLength == 0 ? list.Count : Math.Min(maxLength, list.Count);
            var wanted = count switch { -1 => 1, 0 => long.MaxValue, _ => count };
            for (var n = 0; n < limit && matches.Count < wanted; n++)
            {
                var index = forward ? n : list.Count - 1 - n;
                if (!list[index].AsSpan().SequenceEqual(args[1]))
                {
                    continue;
                }

                if (skip > 0)
                {
                    skip--;
                    continue;
                }

                matches.Add(Reply.Integer(index));
            }
        }

        if (count >= 0)
        {
            return Reply.Array([.. matches]);
        }

        return matches.Count > 0 ? matches[0] : Reply.Null;
    }

    public static Reply Move(KeyTable keys, byte[][] args, long now)
    {
        if (!TryParseSide(args[2], out var fromLeft) || !TryParseSide(args[3], out var toLeft))
        {
            return Reply.Error(ErrorTexts.Syntax);
        }

        return MoveOne(keys, args[0], args[1], fromLeft, toLeft, now);
    }

    /// <summary>LMOVE's body: nil when the source is missing; the moved element otherwise.</summary>
    public static Reply MoveOne(KeyTable keys, byte[] source, byte[] destination, bool fromLeft, bool toLeft, long now)
    {
        if (!TypedEntry.TryAs(keys.FindForWrite(source, now), out ListValue? from))
        {
            return TypedEntry.WrongType;
        }

        if (from is null)
        {
            return Reply.Null;
        }

        if (!TypedEntry.TryAs(keys.FindForWrite(destination, now), out ListValue? to))
        {
            return TypedEntry.WrongType;
        }

        var item = fromLeft ? from.PopFront() : from.PopBack();
        if (to is null)
        {
            to = new ListValue();
            keys.Put(destination, to, KeyEntry.NoExpiry);
        }

        if (toLeft)
        {
            to.PushFront(item);
        }
        else
        {
            to.PushBack(item);
        }

        // Redis's order: the push on the destination, the pop on the source, then the source's deletion.
        keys.Notify(KeyspaceEvents.List, toLeft ? "lpush" : "rpush", destination);
        keys.Notify(KeyspaceEvents.List, fromLeft ? "lpop" : "rpop", source);
        TypedEntry.DeleteIfEmpty(keys, source, from.Count);
        return Reply.Bulk(item);
    }

    /// <summary>LMPOP numkeys key... LEFT|RIGHT [COUNT n]; args start at numkeys.</summary>
    public static Reply MultiPop(KeyTable keys, byte[][] args, long now)
    {
        if (!TryParseMultiPop(args, out var sourceKeys, out var left, out var count, out var error))
        {
            return error!;
        }

        return PopFirstNonEmpty(keys, sourceKeys, left, count, now) ?? Reply.NullArray;
    }

    /// <summary>Parses LMPOP's (and BLMPOP's after the timeout) <c>numkeys key... LEFT|RIGHT [COUNT n]</c>.</summary>
    public static bool TryParseMultiPop(byte[][] args, out byte[][] sourceKeys, out bool left, out long count, out Reply? error)
    {
        sourceKeys = [];
        left = false;
        count = 1;
        error = null;
        if (!RedisIntegers.TryParse(args[0], out var numKeys) || numKeys < 1)
        {
            error = Reply.Error(ErrorTexts.NumKeysPositive);
            return false;
        }

        if (numKeys >= args.Length - 1 || !TryParseSide(args[numKeys + 1], out left))
        {
            error = Reply.Error(ErrorTexts.Syntax);
            return false;
        }

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

    /// <summary>Pops from the first non-empty list: <c>[key, [elements]]</c>; WRONGTYPE on the first non-list met; null when all are empty.</summary>
    public static Reply? PopFirstNonEmpty(KeyTable keys, byte[][] sourceKeys, bool left, long count, long now)
    {
        foreach (var key in sourceKeys)
        {
            if (!TypedEntry.TryAs(keys.FindForWrite(key, now), out ListValue? list))
            {
                return TypedEntry.WrongType;
            }

            if (list is not null)
            {
                return Reply.Array(Reply.Bulk(key), Reply.Array(ListCommands.PopMany(keys, key, list, left, count)));
            }
        }

        return null;
    }

    public static bool TryParseSide(byte[] text, out bool left)
    {
        left = Keyword.Is(text, "LEFT"u8);
        return left || Keyword.Is(text, "RIGHT"u8);
    }
}
