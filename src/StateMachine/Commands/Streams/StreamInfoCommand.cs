using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values.Streams;

namespace RaftKV.StateMachine.Commands.Streams;

/// <summary>
/// XINFO STREAM [FULL [COUNT n]], GROUPS, CONSUMERS and HELP, as Redis 7.0 replies (maps under RESP3). radix-tree-keys
/// is the emulated node count; radix-tree-nodes, an internal figure of Redis's radix tree, is given as that count plus
/// the root (exact for up to one node).
/// </summary>
internal static class StreamInfoCommand
{
    private static readonly string[] Help =
    [
        "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        "HELP",
        "    Prints this help.",
    ];

    public static Reply Execute(KeyTable keys, byte[][] args, long now)
    {
        var subcommand = args[0];
        if (Keyword.Is(subcommand, "help"u8))
        {
            return args.Length == 1 ? Reply.Array([.. Help.Select(Reply.Simple)]) : Reply.Error(StreamErrors.SubcommandSyntax(subcommand, "XINFO"));
        }

        if (args.Length < 2)
        {
            return Reply.Error(StreamErrors.SubcommandSyntax(subcommand, "XINFO"));
        }

        if (!StreamReplies.TryRead(keys, args[1], now, out var stream))
        {
            return TypedEntry.WrongType;
        }

        if (stream is null)
        {
            return Reply.Error(ErrorTexts.NoSuchKey);
        }

        if (Keyword.Is(subcommand, "consumers"u8) && args.Length == 3)
        {
            if (stream.FindGroup(args[2]) is not { } group)
            {
                return Reply.Error(StreamErrors.NoGroupForKey(args[2], args[1]));
            }

            return Reply.Array([.. group.Consumers.Values.Select(consumer => Map(
                ("name", Reply.Bulk(consumer.Name)),
                ("pending", Reply.Integer(consumer.Pending.Count)),
                ("idle", Reply.Integer(Math.Max(now - consumer.SeenTime, 0)))))]);
        }

        if (Keyword.Is(subcommand, "groups"u8) && args.Length == 2)
        {
            return Reply.Array([.. stream.Groups.Values.Select(group => Map(
                ("name", Reply.Bulk(group.Name)),
                ("consumers", Reply.Integer(group.Consumers.Count)),
                ("pending", Reply.Integer(group.Pending.Count)),
                ("last-delivered-id", StreamReplies.Id(group.LastId)),
                ("entries-read", EntriesRead(group)),
                ("lag", Lag(stream, group))))]);
        }

        if (Keyword.Is(subcommand, "stream"u8))
        {
            return StreamInfo(stream, args, subcommand);
        }

        return Reply.Error(StreamErrors.SubcommandSyntax(subcommand, "XINFO"));
    }

    private static Reply StreamInfo(StreamValue stream, byte[][] args, byte[] subcommand)
    {
        var options = args.Length - 2;
        long count = 10;
        var full = options > 0;
        if (full)
        {
            if ((options != 1 && options != 3) || !Keyword.Is(args[2], "full"u8) || (options == 3 && !Keyword.Is(args[3], "count"u8)))
            {
                return Reply.Error(StreamErrors.SubcommandSyntax(subcommand, "XINFO"));
            }

            if (options == 3)
            {
                if (!RedisIntegers.TryParse(args[4], out count))
                {
                    return Reply.Error(ErrorTexts.NotInteger);
                }

                if (count < 0)
                {
                    count = 10;
                }
            }
        }

        var fields = new List<(string, Reply)>
        {
            ("length", Reply.Integer(stream.Count)),
            ("radix-tree-keys", Reply.Integer(stream.NodeCount)),
            ("radix-tree-nodes", Reply.Integer(stream.NodeCount + 1)),
            ("last-generated-id", StreamReplies.Id(stream.LastId)),
            ("max-deleted-entry-id", StreamReplies.Id(stream.MaxDeletedId)),
            ("entries-added", Reply.Integer(stream.EntriesAdded)),
            ("recorded-first-entry-id", StreamReplies.Id(stream.FirstId)),
        };
        if (!full)
        {
            fields.Add(("groups", Reply.Integer(stream.Groups.Count)));
            fields.Add(("first-entry", stream.Count == 0 ? Reply.Null : StreamReplies.Entry(stream.EntryAt(0))));
            fields.Add(("last-entry", stream.Count == 0 ? Reply.Null : StreamReplies.Entry(stream.EntryAt(stream.Count - 1))));
            return Map([.. fields]);
        }

        fields.Add(("entries", StreamReplies.Entries(stream.Range(StreamId.Zero, StreamId.Max, count, reverse: false))));
        fields.Add(("groups", Reply.Array([.. stream.Groups.Values.Select(group => FullGroup(stream, group, count))])));
        return Map([.. fields]);
    }

    private static Reply FullGroup(StreamValue stream, StreamGroup group, long count) => Map(
        ("name", Reply.Bulk(group.Name)),
        ("last-delivered-id", StreamReplies.Id(group.LastId)),
        ("entries-read", EntriesRead(group)),
        ("lag", Lag(stream, group)),
        ("pel-count", Reply.Integer(group.Pending.Count)),
        ("pending", Reply.Array([.. Limit(group.Pending, count).Select(pending => Reply.Array(
            StreamReplies.Id(pending.Id),
            Reply.Bulk(pending.Consumer.Name),
            Reply.Integer(pending.DeliveryTime),
            Reply.Integer(pending.DeliveryCount)))])),
        ("consumers", Reply.Array([.. group.Consumers.Values.Select(consumer => Map(
            ("name", Reply.Bulk(consumer.Name)),
            ("seen-time", Reply.Integer(consumer.SeenTime)),
            ("pel-count", Reply.Integer(consumer.Pending.Count)),
            ("pending", Reply.Array([.. Limit(consumer.Pending, count).Select(pending => Reply.Array(
                StreamReplies.Id(pending.Id),
                Reply.Integer(pending.DeliveryTime),
                Reply.Integer(pending.DeliveryCount)))]))))])));

    private static IEnumerable<PendingEntry> Limit(SortedSet<PendingEntry> pending, long count) =>
        count == 0 ? pending : pending.Take((int)Math.Min(count, int.MaxValue));

    private static Reply EntriesRead(StreamGroup group) =>
        group.EntriesRead == StreamGroup.InvalidEntriesRead ? Reply.Null : Reply.Integer(group.EntriesRead);

    private static Reply Lag(StreamValue stream, StreamGroup group) =>
        StreamCounters.Lag(stream, group) is { } lag ? Reply.Integer(lag) : Reply.Null;

    private static MapReply Map(params (string Name, Reply Value)[] fields) =>
        new([.. fields.Select(static field => new KeyValuePair<Reply, Reply>(Reply.Bulk(field.Name), field.Value))]);
}
