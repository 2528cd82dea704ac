using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values.Streams;

namespace RaftKV.StateMachine.Commands.Streams;

/// <summary>XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP), XACK and XPENDING with Redis 7.0 semantics.</summary>
internal static class StreamGroupCommands
{
    private static readonly string[] GroupHelp =
    [
        "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        "HELP",
        "    Prints this help.",
    ];

    public static Reply Group(KeyTable keys, byte[][] args, long now)
    {
        var subcommand = args[0];
        var create = Keyword.Is(subcommand, "create"u8);
        var setId = Keyword.Is(subcommand, "setid"u8);
        var makeStream = false;
        var entriesRead = StreamGroup.InvalidEntriesRead;
        StreamValue? stream = null;
        StreamGroup? group = null;
        if (args.Length >= 3)
        {
            for (var i = 4; i < args.Length;)
            {
                if (create && Keyword.Is(args[i], "mkstream"u8))
                {
                    makeStream = true;
                    i++;
                }
                else if ((create || setId) && Keyword.Is(args[i], "entriesread"u8) && i + 1 < args.Length)
                {
                    if (!RedisIntegers.TryParse(args[i + 1], out entriesRead))
                    {
                        return Reply.Error(ErrorTexts.NotInteger);
                    }

                    if (entriesRead < 0 && entriesRead != StreamGroup.InvalidEntriesRead)
                    {
                        return Reply.Error(StreamErrors.EntriesReadValue);
                    }

                    i += 2;
                }
                else
                {
                    return Reply.Error(StreamErrors.SubcommandSyntax(subcommand, "XGROUP"));
                }
            }

            if (!StreamReplies.TryWrite(keys, args[1], now, out stream))
            {
                return TypedEntry.WrongType;
            }

            if (!makeStream)
            {
                if (stream is null)
                {
                    return Reply.Error(StreamErrors.GroupNeedsKey);
                }

                group = stream.FindGroup(args[2]);
                if (group is null && (setId || Keyword.Is(subcommand, "createconsumer"u8) || Keyword.Is(subcommand, "delconsumer"u8)))
                {
                    return Reply.Error(StreamErrors.NoGroupForKey(args[2], args[1]));
                }
            }
        }

        if (args.Length == 1 && Keyword.Is(subcommand, "help"u8))
        {
            return Reply.Array([.. GroupHelp.Select(Reply.Simple)]);
        }

        if (create && args.Length is >= 4 and <= 7)
        {
            return Create(keys, args, stream, entriesRead);
        }

        if (setId && args.Length is 4 or 6)
        {
            StreamId id;
            if (args[3] is [(byte)'$'])
            {
                id = stream!.LastId;
            }
            else if (!StreamId.TryParse(args[3], 0, strict: false, out id))
            {
                return Reply.Error(StreamErrors.InvalidId);
            }

            group!.LastId = id;
            group.EntriesRead = entriesRead;
            keys.Notify(KeyspaceEvents.Stream, "xgroup-setid", args[1]);
            return Reply.Ok;
        }

        if (Keyword.Is(subcommand, "destroy"u8) && args.Length == 3)
        {
            if (group is null || !stream!.Groups.Remove(group.Name))
            {
                return Reply.Zero;
            }

            keys.Notify(KeyspaceEvents.Stream, "xgroup-destroy", args[1]);
            return Reply.One;
        }

        if (Keyword.Is(subcommand, "createconsumer"u8) && args.Length == 4)
        {
            if (group!.TryCreateConsumer(args[3], now) is null)
            {
                return Reply.Zero;
            }

            keys.Notify(KeyspaceEvents.Stream, "xgroup-createconsumer", args[1]);
            return Reply.One;
        }

        if (Keyword.Is(subcommand, "delconsumer"u8) && args.Length == 4)
        {
            if (group!.FindConsumer(args[3]) is not { } consumer)
            {
                return Reply.Zero;
            }

            var pending = group.DeleteConsumer(consumer);
            keys.Notify(KeyspaceEvents.Stream, "xgroup-delconsumer", args[1]);
            return Reply.Integer(pending);
        }

        return Reply.Error(StreamErrors.SubcommandSyntax(subcommand, "XGROUP"));
    }

    public static Reply Ack(KeyTable keys, byte[][] args, long now)
    {
        if (!StreamReplies.TryRead(keys, args[0], now, out var stream))
        {
            return TypedEntry.WrongType;
        }

        if (stream?.FindGroup(args[1]) is null)
        {
            return Reply.Zero;
        }

        var ids = new StreamId[args.Length - 2];
        for (var i = 2; i < args.Length; i++)
        {
            if (!StreamId.TryParse(args[i], 0, strict: true, out ids[i - 2]))
            {
                return Reply.Error(StreamErrors.InvalidId);
            }
        }

        // Acknowledging only entries that are not pending changes nothing (Redis signals no change).
        var pendingIn = stream.FindGroup(args[1])!;
        if (!ids.Any(id => pendingIn.FindPending(id) is not null))
        {
            return Reply.Zero;
        }

        StreamReplies.TryWrite(keys, args[0], now, out stream);
        var group = stream!.FindGroup(args[1])!;
        long acknowledged = 0;
        foreach (var id in ids)
        {
            if (group.FindPending(id) is { } pending)
            {
                group.RemovePending(pending);
                acknowledged++;
            }
        }

        return Reply.Integer(acknowledged);
    }

    public static Reply Pending(KeyTable keys, byte[][] args, long now)
    {
        var summary = args.Length == 2;
        if (!summary && args.Length is < 5 or > 8)
        {
            return Reply.Error(ErrorTexts.Syntax);
        }

        long count = 0, minIdle = 0;
        StreamId start = default, end = default;
        byte[]? consumerName = null;
        if (!summary)
        {
            var at = 2;
            if (Keyword.Is(args[2], "idle"u8))
            {
                if (!RedisIntegers.TryParse(args[3], out minIdle))
                {
                    return Reply.Error(ErrorTexts.NotInteger);
                }

                if (args.Length < 7)
                {
                    return Reply.Error(ErrorTexts.Syntax);
                }

                at += 2;
            }

            if (!RedisIntegers.TryParse(args[at + 2], out count))
            {
                return Reply.Error(ErrorTexts.NotInteger);
            }

            count = Math.Max(count, 0);
            if (!StreamReplies.TryParseBound(args[at], start: true, out start, out var error)
                || !StreamReplies.TryParseBound(args[at + 1], start: false, out end, out error))
            {
                return error!;
            }

            if (at + 3 < args.Length)
            {
                consumerName = args[at + 3];
            }
        }

        if (!StreamReplies.TryRead(keys, args[0], now, out var stream))
        {
            return TypedEntry.WrongType;
        }

        if (stream?.FindGroup(args[1]) is not { } group)
        {
            return Reply.Error(StreamErrors.NoKeyOrGroup(args[0], args[1]));
        }

        if (summary)
        {
            return Summary(group);
        }

        SortedSet<PendingEntry> list = group.Pending;
        if (consumerName is not null)
        {
            if (group.FindConsumer(consumerName) is not { } consumer)
            {
                return Reply.EmptyArray;
            }

            list = consumer.Pending;
        }

        var items = new List<Reply>();
        foreach (var pending in StreamGroup.From(list, start, end))
        {
            if (items.Count >= count)
            {
                break;
            }

            if (minIdle != 0 && now - pending.DeliveryTime < minIdle)
            {
                continue;
            }

            items.Add(Reply.Array(
                StreamReplies.Id(pending.Id),
                Reply.Bulk(pending.Consumer.Name),
                Reply.Integer(Math.Max(now - pending.DeliveryTime, 0)),
                Reply.Integer(pending.DeliveryCount)));
        }

        return Reply.Array([.. items]);
    }

    private static Reply Create(KeyTable keys, byte[][] args, StreamValue? stream, long entriesRead)
    {
        StreamId id;
        if (args[3] is [(byte)'$'])
        {
            id = stream?.LastId ?? StreamId.Zero;
        }
        else if (!StreamId.TryParse(args[3], 0, strict: true, out id))
        {
            return Reply.Error(StreamErrors.InvalidId);
        }

        stream ??= StreamReplies.Create(keys, args[1]);
        if (stream.Groups.ContainsKey(args[2]))
        {
            return Reply.Error(StreamErrors.BusyGroup);
        }

        stream.Groups.Add(args[2], new StreamGroup(args[2], id, entriesRead));
        keys.Notify(KeyspaceEvents.Stream, "xgroup-create", args[1]);
        return Reply.Ok;
    }

    private static Reply Summary(StreamGroup group)
    {
        if (group.Pending.Count == 0)
        {
            return Reply.Array(Reply.Zero, Reply.Null, Reply.Null, Reply.NullArray);
        }

        var consumers = new List<Reply>();
        foreach (var consumer in group.Consumers.Values)
        {
            if (consumer.Pending.Count > 0)
            {
                consumers.Add(Reply.Array(Reply.Bulk(consumer.Name), Reply.Bulk(RedisIntegers.Format(consumer.Pending.Count))));
            }
        }

        return Reply.Array(
            Reply.Integer(group.Pending.Count),
            StreamReplies.Id(group.Pending.Min!.Id),
            StreamReplies.Id(group.Pending.Max!.Id),
            Reply.Array([.. consumers]));
    }
}
