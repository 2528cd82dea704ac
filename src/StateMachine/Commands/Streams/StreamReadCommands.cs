using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Values.Streams;

namespace RaftKV.StateMachine.Commands.Streams;

/// <summary>
/// XREAD (a read) and XREADGROUP (a write: it moves the group's last id and fills the pending lists, with delivery
/// times from the applying entry's timestamp). Neither blocks here: with nothing to serve they answer the null array,
/// and the node decides whether the client waits (BLOCK) and runs the command again when one of its keys changes.
/// </summary>
internal static class StreamReadCommands
{
    public static Reply Read(KeyTable keys, byte[][] args, long now)
    {
        if (!StreamReadOptions.TryParse(args, group: false, out var options, out var error))
        {
            return error!;
        }

        var streams = new StreamValue?[options.StreamCount];
        var after = new StreamId[options.StreamCount];
        for (var i = 0; i < options.StreamCount; i++)
        {
            if (!StreamReplies.TryRead(keys, options.Key(args, i), now, out streams[i]))
            {
                return TypedEntry.WrongType;
            }

            var id = options.Id(args, i);
            if (id is [(byte)'$'])
            {
                after[i] = streams[i]?.LastId ?? StreamId.Zero;
            }
            else if (id is [(byte)'>'])
            {
                return Reply.Error(StreamErrors.GreaterOutsideGroup);
            }
            else if (!StreamId.TryParse(id, 0, strict: true, out after[i]))
            {
                return Reply.Error(StreamErrors.InvalidId);
            }
        }

        var served = new List<KeyValuePair<Reply, Reply>>();
        for (var i = 0; i < options.StreamCount; i++)
        {
            if (streams[i] is { Count: > 0 } stream && stream.LastEntryId > after[i] && after[i].TryIncrement(out var start))
            {
                served.Add(new(Reply.Bulk(options.Key(args, i)), StreamReplies.Entries(stream.Range(start, StreamId.Max, options.Count, reverse: false))));
            }
        }

        return served.Count == 0 ? Reply.NullArray : new MapReply(served, pairsInResp2: true);
    }

    /// <summary>XREAD's arguments with each <c>$</c> made its stream's last id now (see KeyValueStore.ResolveStreamReadIds).</summary>
    public static byte[][] ResolveLastIds(KeyTable keys, byte[][] args, long now)
    {
        if (!StreamReadOptions.TryParse(args, group: false, out var options, out _))
        {
            return args;
        }

        var resolved = (byte[][])args.Clone();
        for (var i = 0; i < options.StreamCount; i++)
        {
            if (options.Id(args, i) is [(byte)'$'] && StreamReplies.TryRead(keys, options.Key(args, i), now, out var stream))
            {
                resolved[options.KeysStart + options.StreamCount + i] = (stream?.LastId ?? StreamId.Zero).ToBytes();
            }
        }

        return resolved;
    }

    public static Reply ReadGroup(KeyTable keys, byte[][] args, long now)
    {
        if (!StreamReadOptions.TryParse(args, group: true, out var options, out var error))
        {
            return error!;
        }

        var streams = new StreamValue[options.StreamCount];
        var groups = new StreamGroup[options.StreamCount];
        var after = new StreamId?[options.StreamCount];
        for (var i = 0; i < options.StreamCount; i++)
        {
            var key = options.Key(args, i);
            if (!StreamReplies.TryRead(keys, key, now, out var stream))
            {
                return TypedEntry.WrongType;
            }

            if (stream?.FindGroup(options.Group!) is not { } group)
            {
                return Reply.Error(StreamErrors.NoGroupInReadGroup(key, options.Group!));
            }

            streams[i] = stream;
            groups[i] = group;
            var id = options.Id(args, i);
            if (id is [(byte)'$'])
            {
                return Reply.Error(StreamErrors.DollarInReadGroup);
            }

            if (id is [(byte)'>'])
            {
                after[i] = null;
            }
            else if (!StreamId.TryParse(id, 0, strict: true, out var parsed))
            {
                return Reply.Error(StreamErrors.InvalidId);
            }
            else
            {
                after[i] = parsed;
            }
        }

        var served = new List<KeyValuePair<Reply, Reply>>();
        for (var i = 0; i < options.StreamCount; i++)
        {
            var key = options.Key(args, i);
            var stream = streams[i];
            var group = groups[i];
            if (after[i] is { } history)
            {
                // Tell copy-on-write before the pending list changes.
                keys.FindForWrite(key, now);
                var consumer = StreamReplies.TouchConsumer(keys, key, group, options.Consumer!, now);
                served.Add(new(Reply.Bulk(key), History(stream, consumer, history, options.Count, now)));
            }
            else if (stream.Count > 0 && stream.LastEntryId > group.LastId)
            {
                keys.FindForWrite(key, now);
                var consumer = StreamReplies.TouchConsumer(keys, key, group, options.Consumer!, now);
                served.Add(new(Reply.Bulk(key), Deliver(stream, group, consumer, options.Count, options.NoAck, now)));
            }
        }

        return served.Count == 0 ? Reply.NullArray : new MapReply(served, pairsInResp2: true);
    }

    // New entries after the group's last id: each moves the last id and joins the pending lists (unless NOACK).
    private static Reply Deliver(StreamValue stream, StreamGroup group, StreamConsumer consumer, long count, bool noAck, long now)
    {
        group.LastId.TryIncrement(out var start);
        var entries = stream.Range(start, StreamId.Max, count, reverse: false);
        foreach (var entry in entries)
        {
            StreamCounters.Deliver(stream, group, entry.Id);
            if (noAck)
            {
                continue;
            }

            if (group.FindPending(entry.Id) is { } pending)
            {
                StreamGroup.Reassign(pending, consumer);
                pending.DeliveryTime = now;
                pending.DeliveryCount = 1;
            }
            else
            {
                pending = new PendingEntry(entry.Id, consumer, now, 1);
                group.Pending.Add(pending);
                consumer.Pending.Add(pending);
            }
        }

        return StreamReplies.Entries(entries);
    }

    // The consumer's own pending entries after the given id; a deleted entry is answered [id, nil].
    private static Reply History(StreamValue stream, StreamConsumer consumer, StreamId after, long count, long now)
    {
        var items = new List<Reply>();
        if (!after.TryIncrement(out var start))
        {
            return Reply.EmptyArray;
        }

        foreach (var pending in StreamGroup.From(consumer.Pending, start, StreamId.Max))
        {
            if (count > 0 && items.Count >= count)
            {
                break;
            }

            if (stream.Find(pending.Id) is { } entry)
            {
                pending.DeliveryTime = now;
                pending.DeliveryCount++;
                items.Add(StreamReplies.Entry(entry));
            }
            else
            {
                items.Add(Reply.Array(StreamReplies.Id(pending.Id), Reply.NullArray));
            }
        }

        return Reply.Array([.. items]);
    }
}
