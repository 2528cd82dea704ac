using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// The string commands with Redis 7.0 semantics. Arguments exclude the command name and have passed the
/// arity check. Every write validates everything first and mutates last, so an error changes nothing.
/// Reads use <see cref="KeyTable.FindLive"/> and never change the table; writes delete an expired key
/// they touch first (<see cref="KeyTable.FindForWrite"/>), which is deterministic from the log.
/// </summary>
internal static class StringCommands
{
    /// <summary>Redis's default proto-max-bulk-len: the largest string SETRANGE and APPEND may build.</summary>
    public const long MaxStringLength = 512L * 1024 * 1024;

    private static readonly Reply WrongType = Reply.Error(ErrorTexts.WrongType);

    public static Reply Get(KeyTable keys, byte[][] args, long now) =>
        TryReadString(keys.FindLive(args[0], now), out var value, out var error) ? Reply.Bulk(value) : error;

    public static Reply Set(KeyTable keys, byte[][] args, long now)
    {
        if (!SetOptions.TryParse(args, out var options, out var parseError))
        {
            return parseError!;
        }

        if (!options.TryGetExpireAt(now, out var expireAt))
        {
            return Reply.Error(ErrorTexts.InvalidExpireTime("set"));
        }

        // SET NX of a key that exists changes nothing: WATCH, tracking and gRPC Watch see no change, as in Redis. (Asked
        // only for NX: a plain SET, the hot path, looks the key up once.)
        var existing = options.Nx ? keys.FindUnchanged(args[0], now) : keys.FindForWrite(args[0], now);
        Reply previous = Reply.Null;
        if (options.Get)
        {
            if (!TryReadString(existing, out var old, out var error))
            {
                return error;
            }

            previous = Reply.Bulk(old);
        }

        if ((options.Nx && existing is not null) || (options.Xx && existing is null))
        {
            return options.Get ? previous : Reply.Null;
        }

        if (options.Unit == ExpireUnit.KeepTtl && existing is not null)
        {
            expireAt = existing.ExpireAtMs;
        }

        // An expiry already in the past leaves no key behind, as Redis's SET with a past EXAT/PXAT (whose key is set,
        // then given the past expiry, then expires: the same three events).
        var expiring = expireAt != KeyEntry.NoExpiry && options.Unit != ExpireUnit.KeepTtl;
        if (expireAt != KeyEntry.NoExpiry && expireAt <= now)
        {
            keys.Remove(args[0]);
            keys.Notify(KeyspaceEvents.String, "set", args[0]);
            keys.Notify(KeyspaceEvents.Generic, "expire", args[0]);
            keys.Notify(KeyspaceEvents.Expired, "expired", args[0]);
        }
        else
        {
            keys.Put(args[0], existing, StringValue.Of(args[1]), expireAt);
            keys.Notify(KeyspaceEvents.String, "set", args[0]);
            if (expiring)
            {
                keys.Notify(KeyspaceEvents.Generic, "expire", args[0]);
            }
        }

        return options.Get ? previous : Reply.Ok;
    }

    public static Reply SetNx(KeyTable keys, byte[][] args, long now)
    {
        if (keys.FindUnchanged(args[0], now) is not null)
        {
            return Reply.Zero;
        }

        keys.Put(args[0], StringValue.Of(args[1]), KeyEntry.NoExpiry);
        keys.Notify(KeyspaceEvents.String, "set", args[0]);
        return Reply.One;
    }

    public static Reply GetSet(KeyTable keys, byte[][] args, long now)
    {
        if (!TryReadString(keys.FindForWrite(args[0], now), out var old, out var error))
        {
            return error;
        }

        keys.Put(args[0], StringValue.Of(args[1]), KeyEntry.NoExpiry);
        keys.Notify(KeyspaceEvents.String, "set", args[0]);
        return Reply.Bulk(old);
    }

    public static Reply GetDel(KeyTable keys, byte[][] args, long now)
    {
        if (!TryReadString(keys.FindForWrite(args[0], now), out var old, out var error))
        {
            return error;
        }

        if (old is not null)
        {
            keys.Remove(args[0]);
            keys.Notify(KeyspaceEvents.Generic, "del", args[0]);
        }

        return Reply.Bulk(old);
    }

    public static Reply MGet(KeyTable keys, byte[][] args, long now)
    {
        var items = new Reply[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            items[i] = keys.FindLive(args[i], now)?.Value is StringValue s ? Reply.Bulk(s.Bytes) : Reply.Null;
        }

        return Reply.Array(items);
    }

    public static Reply MSet(KeyTable keys, byte[][] args, long now)
    {
        for (var i = 0; i < args.Length; i += 2)
        {
            keys.FindForWrite(args[i], now);
            keys.Put(args[i], StringValue.Of(args[i + 1]), KeyEntry.NoExpiry);
            keys.Notify(KeyspaceEvents.String, "set", args[i]);
        }

        return Reply.Ok;
    }

    public static Reply MSetNx(KeyTable keys, byte[][] args, long now)
    {
        for (var i = 0; i < args.Length; i += 2)
        {
            if (keys.FindLive(args[i], now) is not null)
            {
                return Reply.Zero;
            }
        }

        MSet(keys, args, now);
        return Reply.One;
    }

    public static Reply Append(KeyTable keys, byte[][] args, long now)
    {
        var existing = keys.FindForWrite(args[0], now);
        if (!TypedEntry.TryAs(existing, out StringValue? old))
        {
            return WrongType;
        }

        if ((long)(old?.Length ?? 0) + args[1].Length > MaxStringLength)
        {
            return Reply.Error(ErrorTexts.StringTooLong);
        }

        // Redis stores APPEND's new key as given (int/embstr/raw by content) but appends in place to a raw string.
        var value = old is null ? StringValue.Of(args[1].ToArray()) : StringValue.Append(old, args[1]);
        keys.Put(args[0], value, existing?.ExpireAtMs ?? KeyEntry.NoExpiry);
        keys.Notify(KeyspaceEvents.String, "append", args[0]);
        return Reply.Integer(value.Length);
    }

    // The length, not the bytes: Bytes copies a string with room after it or in pages.
    public static Reply StrLen(KeyTable keys, byte[][] args, long now) =>
        TypedEntry.TryAs(keys.FindLive(args[0], now), out StringValue? value) ? Reply.Integer(value?.Length ?? 0) : WrongType;

    /// <summary>INCR, DECR, INCRBY and DECRBY: <paramref name="increment"/> is already parsed and checked.</summary>
    public static Reply IncrBy(KeyTable keys, byte[] key, long increment, long now)
    {
        var existing = keys.FindForWrite(key, now);
        if (!TryReadString(existing, out var old, out var error))
        {
            return error;
        }

        long value = 0;
        if (old is not null && !RedisIntegers.TryParse(old, out value))
        {
            return Reply.Error(ErrorTexts.NotInteger);
        }

        if ((increment < 0 && value < 0 && increment < long.MinValue - value)
            || (increment > 0 && value > 0 && increment > long.MaxValue - value))
        {
            return Reply.Error(ErrorTexts.Overflow);
        }

        value += increment;
        Replace(keys, key, existing, RedisIntegers.Format(value));
        keys.Notify(KeyspaceEvents.String, "incrby", key);
        return Reply.Integer(value);
    }

    public static Reply IncrByFloat(KeyTable keys, byte[][] args, long now)
    {
        var existing = keys.FindForWrite(args[0], now);
        if (!TryReadString(existing, out var old, out var error))
        {
            return error;
        }

        var value = default(ExactDecimal);
        if ((old is not null && !ExactDecimal.TryParse(old, out value)) || !ExactDecimal.TryParse(args[1], out var increment))
        {
            return Reply.Error(ErrorTexts.NotFloat);
        }

        var sum = ExactDecimal.Add(value, increment);
        if (!sum.IsFinite)
        {
            return Reply.Error(ErrorTexts.NanOrInfinity);
        }

        var text = sum.Format();
        Replace(keys, args[0], existing, text, StringEncoding.ByLength);
        keys.Notify(KeyspaceEvents.String, "incrbyfloat", args[0]);
        return Reply.Bulk(text);
    }

    /// <summary>GETRANGE and SUBSTR: <paramref name="start"/> and <paramref name="end"/> are already parsed.</summary>
    public static Reply GetRange(KeyTable keys, byte[] key, long start, long end, long now)
    {
        if (!TypedEntry.TryAs(keys.FindLive(key, now), out StringValue? value))
        {
            return WrongType;
        }

        if (value is null || (start < 0 && end < 0 && start > end))
        {
            return Reply.EmptyBulk;
        }

        long length = value.Length;
        start = start < 0 ? Math.Max(length + start, 0) : start;
        end = end < 0 ? Math.Max(length + end, 0) : end;
        end = Math.Min(end, length - 1);
        if (start > end || length == 0)
        {
            return Reply.EmptyBulk;
        }

        var range = new byte[end - start + 1];
        value.CopyTo((int)start, range);
        return Reply.Bulk(range);
    }

    /// <summary>SETRANGE: <paramref name="offset"/> is already parsed and not negative.</summary>
    public static Reply SetRange(KeyTable keys, byte[] key, long offset, byte[] patch, long now)
    {
        // An empty patch changes nothing (Redis signals no change).
        var existing = keys.FindForWriteUnless(key, now, e => e.Value is not StringValue || patch.Length == 0);
        if (!TypedEntry.TryAs(existing, out StringValue? old))
        {
            return WrongType;
        }

        if (patch.Length == 0)
        {
            return Reply.Integer(old?.Length ?? 0);
        }

        if (offset > MaxStringLength - patch.Length)
        {
            return Reply.Error(ErrorTexts.StringTooLong);
        }

        // A long string is changed in the pages the patch covers, not copied whole (StringValue.Patched).
        var value = StringValue.Patched(old, (int)offset, patch);
        keys.Put(key, value, existing?.ExpireAtMs ?? KeyEntry.NoExpiry);
        keys.Notify(KeyspaceEvents.String, "setrange", key);
        return Reply.Integer(value.Length);
    }

    /// <summary>Reads a string value: null for a missing key; false with a WRONGTYPE error for another type.</summary>
    private static bool TryReadString(KeyEntry? entry, out byte[]? value, out Reply error)
    {
        error = WrongType;
        value = null;
        if (entry is null)
        {
            return true;
        }

        if (entry.Value is StringValue s)
        {
            value = s.Bytes;
            return true;
        }

        return false;
    }

    /// <summary>Stores a new string value, keeping the key's expiry (APPEND, INCR*, SETRANGE keep the TTL).</summary>
    private static void Replace(KeyTable keys, byte[] key, KeyEntry? existing, byte[] value, StringEncoding encoding = StringEncoding.ByContent) =>
        keys.Put(key, StringValue.Of(value, encoding), existing?.ExpireAtMs ?? KeyEntry.NoExpiry);
}
