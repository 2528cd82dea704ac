using System.Buffers.Binary;
using RaftKV.StateMachine.Commands.Streams;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Values.Streams;

namespace RaftKV.StateMachine.Rdb;

/// <summary>
/// Reads a stream in RDB_TYPE_STREAM_LISTPACKS_2 (Redis 7.0, <see cref="StreamPayloadWriter"/>) or the older
/// RDB_TYPE_STREAM_LISTPACKS (Redis 5 and 6: no first or max-deleted id, no entries added, no group read counters; they
/// are derived as Redis 7.0 derives them on load). Every node's listpack is checked as Redis's deep sanitization checks
/// it (streamValidateListpackIntegrity). Beyond that, anything RaftKV's stream could not hold consistently is refused
/// where Redis would load it and misbehave later: entries out of id order or above the last id, a live entry without
/// fields, a length that is not the live entries', a pending entry without a consumer or with two.
/// Throws <see cref="FormatException"/> for a malformed payload; allocates only in proportion to the bytes read.
/// </summary>
internal static class StreamPayloadReader
{
    public static StreamValue Read(ref RdbReader reader, bool version2)
    {
        var stream = new StreamValue();
        StreamId? previous = null;
        for (var nodes = reader.ReadCount(); nodes > 0; nodes--)
        {
            var key = reader.ReadString();
            if (key.Length != 16)
                throw new FormatException();
            var master = new StreamId(BinaryPrimitives.ReadUInt64BigEndian(key), BinaryPrimitives.ReadUInt64BigEndian(key.AsSpan(8)));
            var pack = ListpackReader.Read(reader.ReadString());
            if (pack is null || pack.Count == 0)
                throw new FormatException();
            ReadNode(stream, pack, master, ref previous);
        }

        var length = reader.ReadLength();
        stream.LastId = ReadId(ref reader);
        if (length != (ulong)stream.Count || (previous is { } last && last > stream.LastId))
            throw new FormatException();
        if (version2)
        {
            ReadId(ref reader);
            stream.MaxDeletedId = ReadId(ref reader);
            var added = reader.ReadLength();
            if (added > long.MaxValue || added < length)
                throw new FormatException();
            stream.EntriesAdded = (long)added;
        }
        else
        {
            stream.EntriesAdded = stream.Count;
        }

        for (var groups = reader.ReadCount(); groups > 0; groups--)
            ReadGroup(ref reader, stream, version2);
        return stream;
    }

    /// <summary>One node's listpack, in t_stream.c's layout; its live entries are appended to the stream.</summary>
    private static void ReadNode(StreamValue stream, List<byte[]> pack, StreamId master, ref StreamId? previous)
    {
        var cursor = new PackCursor(pack);
        var live = cursor.Integer();
        var deleted = cursor.Integer();
        var masterFields = cursor.Count();
        var masterNames = new byte[masterFields][];
        for (var i = 0; i < masterFields; i++)
            masterNames[i] = cursor.Next();
        if (cursor.Integer() != 0 || live < 0 || deleted < 0 || live > pack.Count || deleted > pack.Count)
            throw new FormatException();

        var node = stream.LoadingNode;
        var liveSeen = 0;
        var lastId = master;
        for (var records = live + deleted; records > 0; records--)
        {
            var flags = cursor.Integer();
            var id = new StreamId(unchecked(master.Ms + (ulong)cursor.Integer()), unchecked(master.Seq + (ulong)cursor.Integer()));
            var same = (flags & StreamPayloadWriter.FlagSameFields) != 0;
            var fields = same ? masterFields : cursor.Count();
            var items = new byte[fields * 2][];
            for (var i = 0; i < fields; i++)
            {
                items[2 * i] = same ? masterNames[i] : cursor.Next();
                items[(2 * i) + 1] = cursor.Next();
            }

            if (cursor.Integer() != fields + (same ? 3 : fields + 4))
                throw new FormatException();
            lastId = id;
            if ((flags & StreamPayloadWriter.FlagDeleted) != 0)
                continue;
            if (fields == 0 || (previous is { } before && id <= before))
                throw new FormatException();
            stream.LoadEntry(new StreamEntry(id, items, node));
            previous = id;
            liveSeen++;
        }

        if (!cursor.AtEnd || liveSeen != live)
            throw new FormatException();

        // A node whose entries are all deleted holds nothing RaftKV keeps (Redis drops such a node at its last delete).
        if (live > 0)
            stream.LoadNode((int)(live + deleted), (int)live, lastId);
    }

    private static void ReadGroup(ref RdbReader reader, StreamValue stream, bool version2)
    {
        var name = reader.ReadString();
        var lastId = ReadId(ref reader);
        var entriesRead = version2
            ? unchecked((long)reader.ReadLength())
            : StreamCounters.DistanceFromFirst(stream, lastId) ?? StreamGroup.InvalidEntriesRead;
        var group = new StreamGroup(name, lastId, entriesRead);
        if (!stream.Groups.TryAdd(name, group))
            throw new FormatException();

        // The group's pending entries come first without owners; each consumer then lists the ids it owns.
        var unowned = new SortedDictionary<StreamId, (long DeliveryTime, long DeliveryCount)>();
        for (var n = reader.ReadCount(); n > 0; n--)
        {
            var id = reader.ReadRawStreamId();
            var deliveryTime = reader.ReadMillisecondTime();
            var deliveryCount = unchecked((long)reader.ReadLength());
            if (!unowned.TryAdd(id, (deliveryTime, deliveryCount)))
                throw new FormatException();
        }

        for (var n = reader.ReadCount(); n > 0; n--)
        {
            var consumer = group.TryCreateConsumer(reader.ReadString(), 0) ?? throw new FormatException();
            consumer.SeenTime = reader.ReadMillisecondTime();
            for (var p = reader.ReadCount(); p > 0; p--)
            {
                var id = reader.ReadRawStreamId();
                if (!unowned.Remove(id, out var delivery))
                    throw new FormatException();
                var pending = new PendingEntry(id, consumer, delivery.DeliveryTime, delivery.DeliveryCount);
                group.Pending.Add(pending);
                consumer.Pending.Add(pending);
            }
        }

        if (unowned.Count != 0)
            throw new FormatException();
    }

    private static StreamId ReadId(ref RdbReader reader) => new(reader.ReadLength(), reader.ReadLength());

    /// <summary>Walks a node's listpack entries; reading past the end or a non-integer where one is due throws.</summary>
    private struct PackCursor(List<byte[]> entries)
    {
        private int _next;

        public readonly bool AtEnd => _next == entries.Count;

        public byte[] Next() => _next < entries.Count ? entries[_next++] : throw new FormatException();

        public long Integer() => RedisIntegers.TryParse(Next(), out var value) ? value : throw new FormatException();

        /// <summary>A count of the entries that follow: never more than are left.</summary>
        public int Count()
        {
            var count = Integer();
            return count >= 0 && count <= entries.Count - _next ? (int)count : throw new FormatException();
        }
    }
}
