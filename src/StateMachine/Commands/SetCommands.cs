using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// The single-key set commands with Redis 7.0 semantics (multi-key algebra in <see cref="SetAlgebraCommands"/>,
/// random choices in <see cref="SetRandomCommands"/>). Replies listing members use the set's reply order
/// (<see cref="SetValue.ReplyOrder"/>), never hash-container order.
/// </summary>
internal static class SetCommands
{
    public static Reply Add(KeyTable keys, byte[][] args, long now)
    {
        // Every member already there (or another type): nothing changes and the key is not stamped.
        var entry = keys.FindForWriteUnless(args[0], now, e => e.Value is not SetValue held || args.Skip(1).All(held.Contains));
        if (!TypedEntry.TryAs(entry, out SetValue? set))
        {
            return TypedEntry.WrongType;
        }

        if (set is null)
        {
            set = SetValue.CreateFor(args[1]);
            keys.Put(args[0], set, KeyEntry.NoExpiry);
        }

        long added = 0;
        for (var i = 1; i < args.Length; i++)
        {
            added += set.Add(args[i]) ? 1 : 0;
        }

        if (added > 0)
        {
            keys.Notify(KeyspaceEvents.Set, "sadd", args[0]);
        }

        return Reply.Integer(added);
    }

    public static Reply Remove(KeyTable keys, byte[][] args, long now)
    {
        var entry = keys.FindForWriteUnless(args[0], now, e => e.Value is not SetValue held || !args.Skip(1).Any(held.Contains));
        if (!TypedEntry.TryAs(entry, out SetValue? set))
        {
            return TypedEntry.WrongType;
        }

        if (set is null)
        {
            return Reply.Zero;
        }

        long removed = 0;
        for (var i = 1; i < args.Length && set.Count > 0; i++)
        {
            removed += set.Remove(args[i]) ? 1 : 0;
        }

        if (removed > 0)
        {
            keys.Notify(KeyspaceEvents.Set, "srem", args[0]);
        }

        TypedEntry.DeleteIfEmpty(keys, args[0], set.Count);
        return Reply.Integer(removed);
    }

    public static Reply Members(KeyTable keys, byte[][] args, long now)
    {
        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out SetValue? set))
        {
            return TypedEntry.WrongType;
        }

        return set is null ? new SetReply([]) : new SetReply([.. set.ReplyOrder().Select(Reply.Bulk)]);
    }

    public static Reply IsMember(KeyTable keys, byte[][] args, long now)
    {
        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out SetValue? set))
        {
            return TypedEntry.WrongType;
        }

        return set is not null && set.Contains(args[1]) ? Reply.One : Reply.Zero;
    }

    public static Reply IsMemberMany(KeyTable keys, byte[][] args, long now)
    {
        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out SetValue? set))
        {
            return TypedEntry.WrongType;
        }

        var items = new Reply[args.Length - 1];
        for (var i = 1; i < args.Length; i++)
        {
            items[i - 1] = set is not null && set.Contains(args[i]) ? Reply.One : Reply.Zero;
        }

        return Reply.Array(items);
    }

    public static Reply Cardinality(KeyTable keys, byte[][] args, long now) =>
        TypedEntry.TryAs(keys.FindLive(args[0], now), out SetValue? set) ? Reply.Integer(set?.Count ?? 0) : TypedEntry.WrongType;

    public static Reply Move(KeyTable keys, byte[][] args, long now)
    {
        // The source is stamped as written only when the member will leave it: SMOVE of a member it does not hold, within
        // one set, or to a key of another type changes nothing, and Redis signals nothing (a WATCH on it is not broken).
        var member = args[2];
        var refused = args[0].AsSpan().SequenceEqual(args[1]) || keys.Peek(args[1], now) is { Value: not SetValue };
        var sourceEntry = keys.FindForWriteUnless(args[0], now, e => e.Value is not SetValue held || refused || !held.Contains(member));
        // The destination is stamped as written only when the member is added to it (below), as Redis signals it: a
        // WATCH on a destination that already holds the member is not broken. An expired one is removed as any write does.
        var destinationEntry = keys.FindLive(args[1], now) ?? keys.FindForWrite(args[1], now);
        if (sourceEntry is null)
        {
            return Reply.Zero;
        }

        if (!TypedEntry.TryAs(sourceEntry, out SetValue? source) || !TypedEntry.TryAs(destinationEntry, out SetValue? destination))
        {
            return TypedEntry.WrongType;
        }

        if (source is null)
        {
            return Reply.Zero;
        }

        if (ReferenceEquals(source, destination))
        {
            return source.Contains(member) ? Reply.One : Reply.Zero;
        }

        if (!source.Remove(member))
        {
            return Reply.Zero;
        }

        keys.Notify(KeyspaceEvents.Set, "srem", args[0]);
        TypedEntry.DeleteIfEmpty(keys, args[0], source.Count);
        if (destination is null)
        {
            destination = SetValue.CreateFor(member);
            keys.Put(args[1], destination, KeyEntry.NoExpiry);
        }
        else if (destination.Contains(member))
        {
            return Reply.One;
        }
        else
        {
            TypedEntry.TryAs(keys.FindForWrite(args[1], now), out destination);
        }

        if (destination!.Add(member))
        {
            keys.Notify(KeyspaceEvents.Set, "sadd", args[1]);
        }

        return Reply.One;
    }
}
