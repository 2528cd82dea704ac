using RaftKV.StateMachine.Commands;
using RaftKV.StateMachine.Values.Streams;

namespace RaftKV.StateMachine.Snapshots;

/// <summary>Reads a stream's canonical form (<see cref="StreamValue.WriteCanonical"/>), refusing anything inconsistent.</summary>
internal static class StreamSnapshotReader
{
    public static StreamValue Read(SnapshotInput reader, long offset)
    {
        const long maxString = StringCommands.MaxStringLength;
        var stream = new StreamValue();
        var entries = new List<(StreamId Id, byte[][] Items)>();
        var previous = StreamId.Zero;
        for (var n = reader.ReadCount("stream length", int.MaxValue); n > 0; n--)
        {
            var id = ReadId(reader);
            var pairs = reader.ReadCount("stream entry size", int.MaxValue / 2);
            if (pairs == 0 || (entries.Count > 0 && id <= previous))
            {
                throw Corrupted(offset, "has an empty entry or entries out of order");
            }

            var items = new byte[pairs * 2][];
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = reader.ReadString(maxString);
            }

            entries.Add((id, items));
            previous = id;
        }

        stream.LastId = ReadId(reader);
        stream.EntriesAdded = reader.ReadInt64();
        stream.MaxDeletedId = ReadId(reader);
        if ((entries.Count > 0 && stream.LastId < previous) || stream.EntriesAdded < entries.Count)
        {
            throw Corrupted(offset, "has a last id or entries-added below its entries");
        }

        var next = 0;
        for (var n = reader.ReadCount("stream node count", int.MaxValue); n > 0; n--)
        {
            var slots = reader.ReadInt32();
            var live = reader.ReadInt32();
            var lastId = ReadId(reader);
            if (live < 1 || slots < live || live > entries.Count - next)
            {
                throw Corrupted(offset, "has a node that does not match its entries");
            }

            var node = stream.LoadingNode;
            for (var i = 0; i < live; i++, next++)
            {
                stream.LoadEntry(new StreamEntry(entries[next].Id, entries[next].Items, node));
            }

            stream.LoadNode(slots, live, lastId);
        }

        if (next != entries.Count)
        {
            throw Corrupted(offset, "has entries outside its nodes");
        }

        for (var n = reader.ReadCount("stream group count", int.MaxValue); n > 0; n--)
        {
            var group = new StreamGroup(reader.ReadString(maxString), ReadId(reader), reader.ReadInt64());
            if (!stream.Groups.TryAdd(group.Name, group))
            {
                throw Corrupted(offset, "repeats a consumer group");
            }

            for (var c = reader.ReadCount("stream consumer count", int.MaxValue); c > 0; c--)
            {
                var name = reader.ReadString(maxString);
                if (group.TryCreateConsumer(name, reader.ReadInt64()) is null)
                {
                    throw Corrupted(offset, "repeats a consumer");
                }
            }

            for (var p = reader.ReadCount("stream pending count", int.MaxValue); p > 0; p--)
            {
                var id = ReadId(reader);
                var consumer = group.FindConsumer(reader.ReadString(maxString))
                    ?? throw Corrupted(offset, "has a pending entry of an unknown consumer");
                var pending = new PendingEntry(id, consumer, reader.ReadInt64(), reader.ReadInt64());
                if (!group.Pending.Add(pending))
                {
                    throw Corrupted(offset, "repeats a pending entry");
                }

                consumer.Pending.Add(pending);
            }
        }

        return stream;
    }

    private static StreamId ReadId(SnapshotInput reader) => new((ulong)reader.ReadInt64(), (ulong)reader.ReadInt64());

    private static SnapshotFormatException Corrupted(long offset, string detail) =>
        new($"The snapshot is corrupted: the stream at byte {offset} {detail}.");
}
