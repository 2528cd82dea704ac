using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands.Kv;

/// <summary>
/// The gRPC KV service's commands (RAFTKV.KV.GET, RANGE, PUT, DELETE): string keys with their modification revisions
/// (<see cref="KeyTable.RevisionOf"/>), in the reply shapes the node's KvService maps onto raftkv.v1 messages.
/// An item is <c>[key, value, mod revision, ttl ms or -1]</c>; a missing or expired key has none.
/// </summary>
internal static class KvCommands
{
    /// <summary>The most items one RANGE page returns.</summary>
    public const long MaxLimit = 10_000;

    /// <summary>GET key: <c>[store revision, item or nil]</c>; WRONGTYPE for a key holding another type.</summary>
    public static Reply Get(KeyTable keys, byte[][] args, long now)
    {
        var entry = keys.FindLive(args[0], now);
        if (entry is not null && entry.Value is not StringValue)
        {
            return TypedEntry.WrongType;
        }

        return Reply.Array(Reply.Integer(keys.Revision), entry is null ? Reply.Null : Item(entry, now));
    }

    /// <summary>
    /// RANGE prefix after limit: <c>[store revision, more (0 or 1), [item...]]</c>, the live string keys that start with
    /// the prefix and sort after <c>after</c> (ordinal bytes; empty: from the first), at most <c>limit</c> of them, in
    /// ordinal byte order. Keys of other types are skipped. A seek in the keys' ordinal order (<see cref="KeyTable.KeysFrom"/>)
    /// and a walk over the keys under the prefix from there (it was a pass over the whole keyspace per page).
    /// </summary>
    public static Reply Range(KeyTable keys, byte[][] args, long now)
    {
        var prefix = args[0];
        var after = args[1];
        var limit = (int)ParseLimit(args[2]);
        var items = new List<Reply>();
        var more = false;
        var start = after.AsSpan().SequenceCompareTo(prefix) > 0 ? after : prefix;
        foreach (var key in keys.KeysFrom(start))
        {
            if (!key.AsSpan().StartsWith(prefix))
            {
                break;
            }

            if ((after.Length > 0 && key.AsSpan().SequenceCompareTo(after) <= 0)
                || keys.Find(key) is not { Value: StringValue } entry || entry.IsExpiredAt(now))
            {
                continue;
            }

            if (items.Count == limit)
            {
                more = true;
                break;
            }

            items.Add(Item(entry, now));
        }

        return Reply.Array(Reply.Integer(keys.Revision), Reply.Integer(more ? 1 : 0), Reply.Array([.. items]));
    }

    /// <summary>
    /// PUT key value [PX ms|PXAT ms] [NX|XX] [PREVKV]: SET's semantics (any previous type is replaced), answering
    /// <c>[applied (0 or 1), the key's mod revision now (0 when missing), previous item or nil]</c>; the previous item
    /// only with PREVKV and for a previous string.
    /// </summary>
    public static Reply Put(KeyTable keys, byte[][] args, long now)
    {
        if (!KvPutOptions.TryParse(args, 2, out var options, out var error))
        {
            return error!;
        }

        var previous = keys.Peek(args[0], now);
        var prevItem = options.PrevKv && previous?.Value is StringValue ? Item(previous, now) : Reply.Null;

        // Decided here rather than by SET, which stamps an existing key's revision even when NX leaves it as it was: a
        // put that does not happen must not look like a change to a Txn comparing mod revisions.
        if ((options.Nx && previous is not null) || (options.Xx && previous is null))
        {
            return Reply.Array(Reply.Zero, Reply.Integer(previous?.Revision ?? 0), prevItem);
        }

        var set = new List<byte[]>(5) { args[0], args[1] };
        if (options.Unit != ExpireUnit.None)
        {
            set.Add(options.Unit == ExpireUnit.Milliseconds ? "PX"u8.ToArray() : "PXAT"u8.ToArray());
            set.Add(RedisIntegers.Format(options.ExpireValue));
        }

        var reply = StringCommands.Set(keys, [.. set], now);
        return reply is ErrorReply ? reply : Reply.Array(Reply.Integer(1), Reply.Integer(keys.RevisionOf(args[0])), prevItem);
    }

    /// <summary>
    /// DELETE KEYS|PREFIX WITHPREV|NOPREV arg...: deletes the named keys, or every key (of any type) under each prefix;
    /// <c>[deleted, [previous item...]]</c>, the items (WITHPREV, string keys only) in argument order, a prefix's keys in
    /// ordinal byte order.
    /// </summary>
    public static Reply Delete(KeyTable keys, byte[][] args, long now)
    {
        var byPrefix = Keyword.Is(args[0], "PREFIX"u8);
        var withPrev = Keyword.Is(args[1], "WITHPREV"u8);
        var targets = new List<byte[]>();
        for (var i = 2; i < args.Length; i++)
        {
            if (!byPrefix)
            {
                targets.Add(args[i]);
                continue;
            }

            var prefix = args[i];
            targets.AddRange(keys.KeysFrom(prefix).TakeWhile(key => key.AsSpan().StartsWith(prefix))
                .Where(key => keys.Find(key) is { } entry && !entry.IsExpiredAt(now)));
        }

        var previous = new List<Reply>();
        long deleted = 0;
        foreach (var key in targets)
        {
            var entry = keys.Peek(key, now);
            if (withPrev && entry?.Value is StringValue)
            {
                previous.Add(Item(entry, now));
            }

            if (keys.FindForWrite(key, now) is not null)
            {
                keys.Remove(key);
                keys.Notify(Configuration.KeyspaceEvents.Generic, "del", key);
                deleted++;
            }
        }

        return Reply.Array(Reply.Integer(deleted), Reply.Array([.. previous]));
    }

    /// <summary>The checks that need no state, for the validator (arguments exclude the name).</summary>
    public static Reply? Validate(Protocol.Commands.CommandId command, byte[][] args) => command switch
    {
        Protocol.Commands.CommandId.RaftkvKvRange => RedisIntegers.TryParse(args[2], out var limit) && limit is > 0 and <= MaxLimit
            ? null
            : Reply.Error($"ERR limit must be between 1 and {MaxLimit}"),
        Protocol.Commands.CommandId.RaftkvKvPut => KvPutOptions.TryParse(args, 2, out _, out var error) ? null : error,
        Protocol.Commands.CommandId.RaftkvKvDelete =>
            (Keyword.Is(args[0], "KEYS"u8) || Keyword.Is(args[0], "PREFIX"u8)) && (Keyword.Is(args[1], "WITHPREV"u8) || Keyword.Is(args[1], "NOPREV"u8))
                ? null
                : Reply.Error(ErrorTexts.Syntax),
        _ => null,
    };

    private static Reply Item(KeyEntry entry, long now) => Reply.Array(
        Reply.Bulk(entry.Key),
        Reply.Bulk(((StringValue)entry.Value).Bytes),
        Reply.Integer(entry.Revision),
        Reply.Integer(entry.HasExpiry ? Math.Max(0, entry.ExpireAtMs - now) : -1));

    private static long ParseLimit(byte[] text) =>
        RedisIntegers.TryParse(text, out var value) ? value : throw new InvalidOperationException("Unvalidated limit.");
}
