using System.Text;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// Generic keyspace commands with Redis 7.0 semantics. KEYS and SCAN walk the canonical key order
/// (<see cref="KeyOrder"/>), so every replica, and a replica restored from a snapshot, lists keys alike.
/// </summary>
internal static class KeyspaceCommands
{
    public const int DefaultScanCount = 10;

    public static Reply Del(KeyTable keys, byte[][] args, long now)
    {
        long deleted = 0;
        foreach (var key in args)
        {
            if (keys.FindForWrite(key, now) is not null)
            {
                keys.Remove(key);
                keys.Notify(KeyspaceEvents.Generic, "del", key);
                deleted++;
            }
        }

        return Reply.Integer(deleted);
    }

    public static Reply Exists(KeyTable keys, byte[][] args, long now)
    {
        long count = 0;
        foreach (var key in args)
        {
            count += keys.Peek(key, now) is null ? 0 : 1;
        }

        return Reply.Integer(count);
    }

    public static Reply Type(KeyTable keys, byte[][] args, long now) =>
        Reply.Simple(keys.Peek(args[0], now)?.Value.TypeName ?? "none");

    public static Reply Rename(KeyTable keys, byte[][] args, long now, bool onlyIfAbsent)
    {
        // A rename onto itself, or RENAMENX onto a key that exists, changes nothing (Redis signals no change).
        var refused = ByteStringComparer.Instance.Equals(args[0], args[1]) || (onlyIfAbsent && keys.Peek(args[1], now) is not null);
        var source = refused ? keys.FindUnchanged(args[0], now) : keys.FindForWrite(args[0], now);
        if (source is null)
        {
            return Reply.Error(ErrorTexts.NoSuchKey);
        }

        if (ByteStringComparer.Instance.Equals(args[0], args[1]))
        {
            return onlyIfAbsent ? Reply.Zero : Reply.Ok;
        }

        if ((refused ? keys.FindUnchanged(args[1], now) : keys.FindForWrite(args[1], now)) is not null && onlyIfAbsent)
        {
            return Reply.Zero;
        }

        // As Redis: the destination is deleted, then added (a "new" key even where one was replaced).
        keys.Remove(args[1]);
        keys.Put(args[1], source.Value, source.ExpireAtMs);
        keys.Remove(args[0]);
        keys.Notify(KeyspaceEvents.Generic, "rename_from", args[0]);
        keys.Notify(KeyspaceEvents.Generic, "rename_to", args[1]);
        return onlyIfAbsent ? Reply.One : Reply.Ok;
    }

    public static Reply Keys(KeyTable keys, byte[][] args, long now)
    {
        var pattern = args[0];
        var matchAll = GlobPattern.MatchesAll(pattern);
        var items = new List<Reply>();
        foreach (var entry in keys.InOrder())
        {
            if (!entry.IsExpiredAt(now) && (matchAll || GlobPattern.IsMatch(pattern, entry.KeySpan)))
            {
                items.Add(Reply.Bulk(entry.Key));
            }
        }

        return Reply.Array([.. items]);
    }

    /// <summary>
    /// SCAN: the cursor is a position in the canonical order (<see cref="Ordering.PositionScan"/>), so a key present
    /// from the first call to the last is returned at least once whatever is inserted or deleted meanwhile.
    /// </summary>
    public static Reply Scan(KeyTable keys, byte[][] args, long now)
    {
        if (!TryParseScan(args, out var cursor, out var count, out var pattern, out var type, out var error))
        {
            return error!;
        }

        var entries = keys.ScanFrom(cursor, count, out var next);
        var items = new List<Reply>();
        foreach (var entry in entries)
        {
            if (entry.IsExpiredAt(now)
                || (pattern is not null && !GlobPattern.IsMatch(pattern, entry.KeySpan))
                || (type is not null && !Ascii.EqualsIgnoreCase(type, Encoding.ASCII.GetBytes(entry.Value.TypeName))))
            {
                continue;
            }

            items.Add(Reply.Bulk(entry.Key));
        }

        return Reply.Array(Reply.Bulk(RedisIntegers.Format(next)), Reply.Array([.. items]));
    }

    /// <summary>Checks SCAN's arguments as Redis does before touching the keyspace.</summary>
    public static bool TryParseScan(byte[][] args, out ulong cursor, out long count, out byte[]? pattern, out byte[]? type, out Reply? error)
    {
        count = DefaultScanCount;
        pattern = null;
        type = null;
        error = null;
        if (!RedisIntegers.TryParseCursor(args[0], out cursor))
        {
            error = Reply.Error(ErrorTexts.InvalidCursor);
            return false;
        }

        for (var i = 1; i < args.Length; i += 2)
        {
            var hasValue = i + 1 < args.Length;
            if (Keyword.Is(args[i], "COUNT"u8) && hasValue)
            {
                if (!RedisIntegers.TryParse(args[i + 1], out count))
                {
                    error = Reply.Error(ErrorTexts.NotInteger);
                    return false;
                }

                if (count < 1)
                {
                    error = Reply.Error(ErrorTexts.Syntax);
                    return false;
                }
            }
            else if (Keyword.Is(args[i], "MATCH"u8) && hasValue)
            {
                pattern = GlobPattern.MatchesAll(args[i + 1]) ? null : args[i + 1];
            }
            else if (Keyword.Is(args[i], "TYPE"u8) && hasValue)
            {
                type = args[i + 1];
            }
            else
            {
                error = Reply.Error(ErrorTexts.Syntax);
                return false;
            }
        }

        return true;
    }

    public static Reply DbSize(KeyTable keys) => Reply.Integer(keys.Count);

    public static Reply Flush(KeyTable keys)
    {
        keys.Clear();
        return Reply.Ok;
    }

    /// <summary>FLUSHDB and FLUSHALL take nothing, or one of ASYNC and SYNC (both flush at once here).</summary>
    public static Reply? ValidateFlush(byte[][] args) =>
        args.Length == 0 || (args.Length == 1 && (Keyword.Is(args[0], "ASYNC"u8) || Keyword.Is(args[0], "SYNC"u8)))
            ? null
            : Reply.Error(ErrorTexts.Syntax);
}
