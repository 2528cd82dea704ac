using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Values.Streams;

namespace RaftKV.StateMachine.Commands.Streams;

/// <summary>Reply shapes and key lookups shared by the stream commands.</summary>
internal static class StreamReplies
{
    public static Reply Id(StreamId id) => Reply.Bulk(id.ToBytes());

    /// <summary>An entry as Redis replies with it: its id and its field-value pairs.</summary>
    public static Reply Entry(StreamEntry entry)
    {
        var items = new Reply[entry.FieldsAndValues.Length];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = Reply.Bulk(entry.FieldsAndValues[i]);
        }

        return Reply.Array(Id(entry.Id), Reply.Array(items));
    }

    public static Reply Entries(List<StreamEntry> entries)
    {
        var items = new Reply[entries.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = Entry(entries[i]);
        }

        return Reply.Array(items);
    }

    /// <summary>For reads: false on another type; otherwise the stream or null.</summary>
    public static bool TryRead(KeyTable keys, byte[] key, long now, out StreamValue? stream) =>
        TypedEntry.TryAs(keys.FindLive(key, now), out stream);

    /// <summary>For writes (copy-on-write sees the change coming): false on another type; otherwise the stream or null.</summary>
    public static bool TryWrite(KeyTable keys, byte[] key, long now, out StreamValue? stream) =>
        TypedEntry.TryAs(keys.FindForWrite(key, now), out stream);

    public static StreamValue Create(KeyTable keys, byte[] key)
    {
        var stream = new StreamValue();
        keys.Put(key, stream, KeyEntry.NoExpiry);
        return stream;
    }

    /// <summary>
    /// <see cref="StreamGroup.Touch"/> reporting a consumer it creates as Redis's streamCreateConsumer does
    /// ("xgroup-createconsumer" on <paramref name="key"/>).
    /// </summary>
    public static StreamConsumer TouchConsumer(KeyTable keys, byte[] key, StreamGroup group, byte[] name, long now)
    {
        var created = group.FindConsumer(name) is null;
        var consumer = group.Touch(name, now);
        if (created)
        {
            keys.Notify(Configuration.KeyspaceEvents.Stream, "xgroup-createconsumer", key);
        }

        return consumer;
    }

    /// <summary>Parses an interval bound: <c>(id</c> is exclusive (strict id), otherwise <c>-</c>, <c>+</c> or an id.</summary>
    public static bool TryParseBound(byte[] text, bool start, out StreamId id, out Reply? error)
    {
        error = null;
        var missingSeq = start ? 0UL : ulong.MaxValue;
        var exclusive = text.Length > 1 && text[0] == (byte)'(';
        var ok = exclusive
            ? StreamId.TryParse(text.AsSpan(1), missingSeq, strict: true, out id)
            : StreamId.TryParse(text, missingSeq, strict: false, out id);
        if (!ok)
        {
            error = Reply.Error(StreamErrors.InvalidId);
            return false;
        }

        if (exclusive && !(start ? id.TryIncrement(out id) : id.TryDecrement(out id)))
        {
            error = Reply.Error(start ? StreamErrors.InvalidStart : StreamErrors.InvalidEnd);
            return false;
        }

        return true;
    }
}
