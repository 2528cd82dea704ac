using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// The hash commands with Redis 7.0 semantics (HRANDFIELD and HSCAN are in <see cref="HashRandomCommands"/>).
/// Replies listing fields use <see cref="HashValue.Pairs"/>: insertion order for a listpack, ordinal order
/// for a hashtable, never hash-container order.
/// </summary>
internal static class HashCommands
{
    public static Reply Set(KeyTable keys, byte[][] args, long now, bool multi)
    {
        if (args.Length % 2 == 0)
        {
            return Reply.Error(ErrorTexts.WrongArity(multi ? "hmset" : "hset"));
        }

        if (!TryGetOrCreate(keys, args[0], now, out var hash))
        {
            return TypedEntry.WrongType;
        }

        hash.ConvertIfAnyLong(args.AsSpan(1));
        long added = 0;
        for (var i = 1; i < args.Length; i += 2)
        {
            added += hash.Set(args[i], args[i + 1]) ? 1 : 0;
        }

        keys.Notify(KeyspaceEvents.Hash, "hset", args[0]);

        return multi ? Reply.Ok : Reply.Integer(added);
    }

    public static Reply SetIfAbsent(KeyTable keys, byte[][] args, long now)
    {
        // A field that exists: nothing changes, not even the representation (hsetnxCommand converts only before a set).
        if (!TryGetOrCreate(keys, args[0], now, out var hash, e => e.Value is not HashValue held || held.TryGet(args[1], out _)))
        {
            return TypedEntry.WrongType;
        }

        if (hash.TryGet(args[1], out _))
        {
            return Reply.Zero;
        }

        hash.ConvertIfAnyLong(args.AsSpan(1));
        hash.Set(args[1], args[2]);
        keys.Notify(KeyspaceEvents.Hash, "hset", args[0]);
        return Reply.One;
    }

    public static Reply Get(KeyTable keys, byte[][] args, long now)
    {
        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out HashValue? hash))
        {
            return TypedEntry.WrongType;
        }

        return hash is not null && hash.TryGet(args[1], out var value) ? Reply.Bulk(value) : Reply.Null;
    }

    public static Reply GetMany(KeyTable keys, byte[][] args, long now)
    {
        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out HashValue? hash))
        {
            return TypedEntry.WrongType;
        }

        var items = new Reply[args.Length - 1];
        for (var i = 1; i < args.Length; i++)
        {
            items[i - 1] = hash is not null && hash.TryGet(args[i], out var value) ? Reply.Bulk(value) : Reply.Null;
        }

        return Reply.Array(items);
    }

    public static Reply GetAll(KeyTable keys, byte[][] args, long now)
    {
        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out HashValue? hash))
        {
            return TypedEntry.WrongType;
        }

        var pairs = hash?.Pairs() ?? [];
        return new MapReply([.. pairs.Select(p => new KeyValuePair<Reply, Reply>(Reply.Bulk(p.Key), Reply.Bulk(p.Value)))]);
    }

    public static Reply Keys(KeyTable keys, byte[][] args, long now, bool values)
    {
        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out HashValue? hash))
        {
            return TypedEntry.WrongType;
        }

        var pairs = hash?.Pairs() ?? [];
        return Reply.Array([.. pairs.Select(p => Reply.Bulk(values ? p.Value : p.Key))]);
    }

    public static Reply Delete(KeyTable keys, byte[][] args, long now)
    {
        var entry = keys.FindForWriteUnless(args[0], now, e => e.Value is not HashValue held || !args.Skip(1).Any(field => held.TryGet(field, out _)));
        if (!TypedEntry.TryAs(entry, out HashValue? hash))
        {
            return TypedEntry.WrongType;
        }

        if (hash is null)
        {
            return Reply.Zero;
        }

        long deleted = 0;
        for (var i = 1; i < args.Length && hash.Count > 0; i++)
        {
            deleted += hash.Remove(args[i]) ? 1 : 0;
        }

        if (deleted > 0)
        {
            keys.Notify(KeyspaceEvents.Hash, "hdel", args[0]);
        }

        TypedEntry.DeleteIfEmpty(keys, args[0], hash.Count);
        return Reply.Integer(deleted);
    }

    public static Reply Exists(KeyTable keys, byte[][] args, long now)
    {
        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out HashValue? hash))
        {
            return TypedEntry.WrongType;
        }

        return hash is not null && hash.TryGet(args[1], out _) ? Reply.One : Reply.Zero;
    }

    public static Reply Length(KeyTable keys, byte[][] args, long now) =>
        TypedEntry.TryAs(keys.FindLive(args[0], now), out HashValue? hash) ? Reply.Integer(hash?.Count ?? 0) : TypedEntry.WrongType;

    public static Reply StrLen(KeyTable keys, byte[][] args, long now)
    {
        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out HashValue? hash))
        {
            return TypedEntry.WrongType;
        }

        return Reply.Integer(hash is not null && hash.TryGet(args[1], out var value) ? value.Length : 0);
    }

    public static Reply IncrBy(KeyTable keys, byte[][] args, long now)
    {
        if (!RedisIntegers.TryParse(args[2], out var increment))
        {
            return Reply.Error(ErrorTexts.NotInteger);
        }

        var entry = keys.FindForWrite(args[0], now);
        if (!TypedEntry.TryAs(entry, out HashValue? hash))
        {
            return TypedEntry.WrongType;
        }

        long value = 0;
        if (hash is not null && hash.TryGet(args[1], out var old) && !RedisIntegers.TryParse(old, out value))
        {
            return Reply.Error(ErrorTexts.HashValueNotInteger);
        }

        if ((increment < 0 && value < 0 && increment < long.MinValue - value)
            || (increment > 0 && value > 0 && increment > long.MaxValue - value))
        {
            return Reply.Error(ErrorTexts.Overflow);
        }

        value += increment;
        Store(keys, args[0], hash, args[1], RedisIntegers.Format(value));
        keys.Notify(KeyspaceEvents.Hash, "hincrby", args[0]);
        return Reply.Integer(value);
    }

    public static Reply IncrByFloat(KeyTable keys, byte[][] args, long now)
    {
        if (!ExactDecimal.TryParse(args[2], out var increment))
        {
            return Reply.Error(ErrorTexts.NotFloat);
        }

        if (!increment.IsFinite)
        {
            return Reply.Error(ErrorTexts.NanOrInfinityValue);
        }

        if (!TypedEntry.TryAs(keys.FindForWrite(args[0], now), out HashValue? hash))
        {
            return TypedEntry.WrongType;
        }

        var value = default(ExactDecimal);
        if (hash is not null && hash.TryGet(args[1], out var old) && !ExactDecimal.TryParse(old, out value))
        {
            return Reply.Error(ErrorTexts.HashValueNotFloat);
        }

        var sum = ExactDecimal.Add(value, increment);
        if (!sum.IsFinite)
        {
            return Reply.Error(ErrorTexts.NanOrInfinity);
        }

        var text = sum.Format();
        Store(keys, args[0], hash, args[1], text);
        keys.Notify(KeyspaceEvents.Hash, "hincrbyfloat", args[0]);
        return Reply.Bulk(text);
    }

    private static void Store(KeyTable keys, byte[] key, HashValue? hash, byte[] field, byte[] value)
    {
        if (hash is null)
        {
            hash = new HashValue();
            keys.Put(key, hash, KeyEntry.NoExpiry);
        }

        hash.Set(field, value);
    }

    private static bool TryGetOrCreate(KeyTable keys, byte[] key, long now, out HashValue hash, Func<KeyEntry, bool>? unchanged = null)
    {
        hash = null!;
        var entry = unchanged is null ? keys.FindForWrite(key, now) : keys.FindForWriteUnless(key, now, unchanged);
        if (!TypedEntry.TryAs(entry, out HashValue? existing))
        {
            return false;
        }

        if (existing is null)
        {
            existing = new HashValue();
            keys.Put(key, existing, KeyEntry.NoExpiry);
        }

        hash = existing;
        return true;
    }
}
