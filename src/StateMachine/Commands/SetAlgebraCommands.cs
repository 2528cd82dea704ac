using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// SINTER, SUNION, SDIFF, their STORE forms, SINTERCARD and SSCAN with Redis 7.0 semantics. Every source
/// key is type-checked before any result is computed; a missing key is an empty set. A stored result is
/// built as Redis builds it (an intset while every member is an integer), and an empty one deletes the
/// destination.
/// </summary>
internal static class SetAlgebraCommands
{
    public enum Operation
    {
        Inter,
        Union,
        Diff,
    }

    public static Reply Compute(KeyTable keys, byte[][] args, long now, Operation operation, bool store)
    {
        var sourceKeys = store ? args[1..] : args;
        if (!TryLoad(keys, sourceKeys, now, store, out var sets))
        {
            return TypedEntry.WrongType;
        }

        var result = Combine(sets, operation);
        if (!store)
        {
            return new SetReply([.. (result?.ReplyOrder() ?? []).Select(Reply.Bulk)]);
        }

        keys.FindForWrite(args[0], now);
        if (result is null || result.Count == 0)
        {
            if (keys.Remove(args[0]))
            {
                keys.Notify(KeyspaceEvents.Generic, "del", args[0]);
            }

            return Reply.Zero;
        }

        keys.Put(args[0], result, KeyEntry.NoExpiry);
        keys.Notify(KeyspaceEvents.Set, operation switch { Operation.Inter => "sinterstore", Operation.Union => "sunionstore", _ => "sdiffstore" }, args[0]);
        return Reply.Integer(result.Count);
    }

    public static Reply InterCard(KeyTable keys, byte[][] args, long now)
    {
        if (!RedisIntegers.TryParse(args[0], out var numKeys) || numKeys < 1)
        {
            return Reply.Error(ErrorTexts.NumKeysPositive);
        }

        if (numKeys > args.Length - 1)
        {
            return Reply.Error(ErrorTexts.TooManyKeys);
        }

        long limit = 0;
        for (var i = 1 + (int)numKeys; i < args.Length; i++)
        {
            if (Keyword.Is(args[i], "LIMIT"u8) && i + 1 < args.Length)
            {
                if (!RedisIntegers.TryParse(args[++i], out limit) || limit < 0)
                {
                    return Reply.Error(ErrorTexts.LimitNegative);
                }
            }
            else
            {
                return Reply.Error(ErrorTexts.Syntax);
            }
        }

        if (!TryLoad(keys, args[1..(1 + (int)numKeys)], now, store: false, out var sets))
        {
            return TypedEntry.WrongType;
        }

        // As Redis: the smallest set's members looked up in the others, stopping at LIMIT (it built the whole intersection).
        long count = 0;
        if (sets.All(static s => s is not null))
        {
            var smallest = sets.MinBy(static s => s!.Count)!;
            foreach (var member in smallest.Unordered())
            {
                if (sets.All(s => ReferenceEquals(s, smallest) || s!.Contains(member)) && ++count == limit)
                {
                    break;
                }
            }
        }

        return Reply.Integer(count);
    }

    public static Reply Scan(KeyTable keys, byte[][] args, long now)
    {
        if (!ElementScan.TryParseCursor(args[1], out var cursor, out var error))
        {
            return error!;
        }

        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out SetValue? set))
        {
            return TypedEntry.WrongType;
        }

        if (set is null)
        {
            return ElementScan.EmptyScan;
        }

        return set.Encoding == "intset"
            ? ElementScan.Whole(args, set.ReplyOrder(), m => m, m => [Reply.Bulk(m)])
            : ElementScan.Walk(args, cursor, set.ScanIndex(), m => [Reply.Bulk(m)]);
    }

    /// <summary>
    /// The source sets, never stamped as changed (opened for writing, every source of a *STORE was, so a WATCH on a
    /// source aborted EXEC where Redis, reading sources with lookupKeyRead, runs it). A *STORE, applied as a write,
    /// removes an expired source as Redis's lookup on the master does (<see cref="KeySources.Find"/>).
    /// </summary>
    private static bool TryLoad(KeyTable keys, byte[][] sourceKeys, long now, bool store, out SetValue?[] sets)
    {
        sets = new SetValue?[sourceKeys.Length];
        for (var i = 0; i < sourceKeys.Length; i++)
        {
            var entry = KeySources.Find(keys, sourceKeys[i], now, store);
            if (!TypedEntry.TryAs(entry, out sets[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A new set holding the result (null when it is empty); never one of the sources. The sources are read in no
    /// particular order: a set's replies and choices come from its own ordinal order, whatever order it was built in, so
    /// no ordinal index is built (and kept) for a source.
    /// </summary>
    private static SetValue? Combine(SetValue?[] sets, Operation operation)
    {
        IEnumerable<byte[]> members;
        switch (operation)
        {
            case Operation.Inter:
                if (sets.Any(s => s is null))
                {
                    return null;
                }

                var smallest = sets.OrderBy(s => s!.Count).First()!;
                members = smallest.Unordered().Where(m => sets.All(s => s!.Contains(m)));
                break;
            case Operation.Union:
                members = sets.Where(s => s is not null).SelectMany(s => s!.Unordered());
                break;
            default:
                if (sets[0] is null)
                {
                    return null;
                }

                members = sets[0]!.Unordered().Where(m => !sets.Skip(1).Any(s => s is not null && s.Contains(m)));
                break;
        }

        var list = members.ToList();
        if (list.Count == 0)
        {
            return null;
        }

        // Redis starts from an empty intset (createIntsetObject); it turns into a hashtable as members require.
        var result = SetValue.CreateFor("0"u8.ToArray());
        foreach (var member in list)
        {
            result.Add(member);
        }

        return result;
    }
}
