using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// The list commands with Redis 7.0 semantics (moves and multi-key pops are in <see cref="ListMoveCommands"/>).
/// Arguments exclude the command name. Like Redis, arguments are parsed before the key is looked up, and
/// an emptied list is deleted.
/// </summary>
internal static class ListCommands
{
    public static Reply Push(KeyTable keys, byte[][] args, long now, bool left, bool onlyIfExists)
    {
        var entry = keys.FindForWrite(args[0], now);
        if (!TypedEntry.TryAs(entry, out ListValue? list))
        {
            return TypedEntry.WrongType;
        }

        if (list is null)
        {
            if (onlyIfExists)
            {
                return Reply.Zero;
            }

            list = new ListValue();
            keys.Put(args[0], list, KeyEntry.NoExpiry);
        }

        for (var i = 1; i < args.Length; i++)
        {
            if (left)
            {
                list.PushFront(args[i]);
            }
            else
            {
                list.PushBack(args[i]);
            }
        }

        keys.Notify(KeyspaceEvents.List, left ? "lpush" : "rpush", args[0]);
        return Reply.Integer(list.Count);
    }

    public static Reply Pop(KeyTable keys, byte[][] args, long now, bool left)
    {
        long count = 1;
        var hasCount = args.Length > 1;
        if (args.Length > 2)
        {
            return Reply.Error(ErrorTexts.WrongArity(left ? "lpop" : "rpop"));
        }

        if (hasCount && (!RedisIntegers.TryParse(args[1], out count) || count < 0))
        {
            return Reply.Error(ErrorTexts.MustBePositive);
        }

        // A count of 0 pops nothing (Redis signals no change).
        if (!TypedEntry.TryAs(keys.FindForWriteUnless(args[0], now, _ => hasCount && count == 0), out ListValue? list))
        {
            return TypedEntry.WrongType;
        }

        if (list is null)
        {
            return hasCount ? Reply.NullArray : Reply.Null;
        }

        if (!hasCount)
        {
            var item = left ? list.PopFront() : list.PopBack();
            keys.Notify(KeyspaceEvents.List, left ? "lpop" : "rpop", args[0]);
            TypedEntry.DeleteIfEmpty(keys, args[0], list.Count);
            return Reply.Bulk(item);
        }

        return Reply.Array(PopMany(keys, args[0], list, left, count));
    }

    /// <summary>Pops up to <paramref name="count"/> elements from one end, deleting the key when it empties.</summary>
    public static Reply[] PopMany(KeyTable keys, byte[] key, ListValue list, bool left, long count)
    {
        var items = new Reply[(int)Math.Min(count, list.Count)];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = Reply.Bulk(left ? list.PopFront() : list.PopBack());
        }

        if (items.Length > 0)
        {
            keys.Notify(KeyspaceEvents.List, left ? "lpop" : "rpop", key);
        }

        TypedEntry.DeleteIfEmpty(keys, key, list.Count);
        return items;
    }

    public static Reply Range(KeyTable keys, byte[][] args, long now)
    {
        if (!RedisIntegers.TryParse(args[1], out var start) || !RedisIntegers.TryParse(args[2], out var end))
        {
            return Reply.Error(ErrorTexts.NotInteger);
        }

        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out ListValue? list))
        {
            return TypedEntry.WrongType;
        }

        if (list is null || !Ranges.TryResolve(start, end, list.Count, out var first, out var last))
        {
            return Reply.EmptyArray;
        }

        var items = new Reply[last - first + 1];
        for (var i = first; i <= last; i++)
        {
            items[i - first] = Reply.Bulk(list[i]);
        }

        return Reply.Array(items);
    }

    public static Reply Length(KeyTable keys, byte[][] args, long now) =>
        TypedEntry.TryAs(keys.FindLive(args[0], now), out ListValue? list) ? Reply.Integer(list?.Count ?? 0) : TypedEntry.WrongType;

    public static Reply Index(KeyTable keys, byte[][] args, long now)
    {
        // Unlike most commands, LINDEX looks the key up before it parses the index.
        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out ListValue? list))
        {
            return TypedEntry.WrongType;
        }

        if (list is null)
        {
            return Reply.Null;
        }

        if (!RedisIntegers.TryParse(args[1], out var index))
        {
            return Reply.Error(ErrorTexts.NotInteger);
        }

        return TryResolveIndex(index, list.Count, out var at) ? Reply.Bulk(list[at]) : Reply.Null;
    }

    public static Reply Set(KeyTable keys, byte[][] args, long now)
    {
        var entry = keys.FindForWrite(args[0], now);
        if (entry is null)
        {
            return Reply.Error(ErrorTexts.NoSuchKey);
        }

        if (entry.Value is not ListValue list)
        {
            return TypedEntry.WrongType;
        }

        if (!RedisIntegers.TryParse(args[1], out var index))
        {
            return Reply.Error(ErrorTexts.NotInteger);
        }

        if (!TryResolveIndex(index, list.Count, out var at))
        {
            return Reply.Error(ErrorTexts.IndexOutOfRange);
        }

        list[at] = args[2];
        keys.Notify(KeyspaceEvents.List, "lset", args[0]);
        return Reply.Ok;
    }

    public static Reply Remove(KeyTable keys, byte[][] args, long now)
    {
        if (!RedisIntegers.TryParse(args[1], out var count))
        {
            return Reply.Error(ErrorTexts.NotInteger);
        }

        // No element to remove changes nothing (Redis signals no change).
        if (!TypedEntry.TryAs(keys.FindForWriteUnless(args[0], now, e => e.Value is not ListValue held || held.IndexOf(args[2]) < 0), out ListValue? list))
        {
            return TypedEntry.WrongType;
        }

        if (list is null)
        {
            return Reply.Zero;
        }

        var element = args[2];
        var matches = new List<int>();
        if (count >= 0)
        {
            for (var i = 0; i < list.Count && (count == 0 || matches.Count < count); i++)
            {
                if (list[i].AsSpan().SequenceEqual(element))
                {
                    matches.Add(i);
                }
            }
        }
        else
        {
            // LONG_MIN cannot be negated: Redis then removes every match, from the tail.
            var wanted = count == long.MinValue ? long.MaxValue : -count;
            for (var i = list.Count - 1; i >= 0 && matches.Count < wanted; i--)
            {
                if (list[i].AsSpan().SequenceEqual(element))
                {
                    matches.Add(i);
                }
            }
        }

        if (matches.Count > 0)
        {
            var removed = new HashSet<int>(matches);
            list.RemoveWhere((index, _) => removed.Contains(index));
            keys.Notify(KeyspaceEvents.List, "lrem", args[0]);
            TypedEntry.DeleteIfEmpty(keys, args[0], list.Count);
        }

        return Reply.Integer(matches.Count);
    }

    public static Reply Trim(KeyTable keys, byte[][] args, long now)
    {
        if (!RedisIntegers.TryParse(args[1], out var start) || !RedisIntegers.TryParse(args[2], out var end))
        {
            return Reply.Error(ErrorTexts.NotInteger);
        }

        if (!TypedEntry.TryAs(keys.FindForWrite(args[0], now), out ListValue? list))
        {
            return TypedEntry.WrongType;
        }

        if (list is null)
        {
            return Reply.Ok;
        }

        keys.Notify(KeyspaceEvents.List, "ltrim", args[0]);
        if (Ranges.TryResolve(start, end, list.Count, out var first, out var last))
        {
            list.Keep(first, last);
        }
        else
        {
            keys.Remove(args[0]);
            keys.Notify(KeyspaceEvents.Generic, "del", args[0]);
        }

        return Reply.Ok;
    }

    public static Reply Insert(KeyTable keys, byte[][] args, long now)
    {
        bool after;
        if (Keyword.Is(args[1], "AFTER"u8))
        {
            after = true;
        }
        else if (Keyword.Is(args[1], "BEFORE"u8))
        {
            after = false;
        }
        else
        {
            return Reply.Error(ErrorTexts.Syntax);
        }

        // No pivot changes nothing (Redis signals no change).
        if (!TypedEntry.TryAs(keys.FindForWriteUnless(args[0], now, e => e.Value is not ListValue held || held.IndexOf(args[2]) < 0), out ListValue? list))
        {
            return TypedEntry.WrongType;
        }

        if (list is null)
        {
            return Reply.Zero;
        }

        var pivot = list.IndexOf(args[2]);
        if (pivot < 0)
        {
            return Reply.Integer(-1);
        }

        list.Insert(after ? pivot + 1 : pivot, args[3]);
        keys.Notify(KeyspaceEvents.List, "linsert", args[0]);
        return Reply.Integer(list.Count);
    }

    private static bool TryResolveIndex(long index, int count, out int at)
    {
        index = index < 0 ? count + index : index;
        at = (int)Math.Clamp(index, -1, int.MaxValue);
        return index >= 0 && index < count;
    }
}
