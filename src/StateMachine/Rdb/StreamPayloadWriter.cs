using System.Buffers;
using System.Buffers.Binary;
using RaftKV.StateMachine.Values.Streams;

namespace RaftKV.StateMachine.Rdb;

/// <summary>
/// A stream as Redis 7.0 writes it in RDB_TYPE_STREAM_LISTPACKS_2 (rdb.c): the radix tree's nodes (master id as a
/// 16-byte key, then the node's listpack, t_stream.c's layout), the length, last, first and max-deleted ids, entries
/// added, and the consumer groups with their last id, read counter, pending entries and consumers.
/// <para>
/// Each emulated node (<see cref="StreamNode"/>) becomes one radix-tree node, so approximate trimming removes the same
/// entries after a restore. RaftKV keeps no deleted entry, only how many a node had: they are written as deleted
/// records after the live ones, each with no fields and the id of the node's last entry, which keeps what Redis reads
/// from them (the node's fill for XADD and its last id for MINID trimming) and which iteration skips.
/// </para>
/// </summary>
internal static class StreamPayloadWriter
{
    // t_stream.c's STREAM_ITEM_FLAG_DELETED and STREAM_ITEM_FLAG_SAMEFIELDS.
    internal const int FlagDeleted = 1;
    internal const int FlagSameFields = 2;

    public static void Write(IBufferWriter<byte> output, StreamValue stream)
    {
        RdbEncoding.WriteLength(output, (ulong)stream.NodeCount);
        var next = 0;
        Span<byte> key = stackalloc byte[16];
        foreach (var node in stream.Nodes)
        {
            var master = stream.EntryAt(next).Id;
            WriteRawId(key, master);
            RdbEncoding.WriteString(output, key);
            RdbEncoding.WriteString(output, NodeListpack(stream, next, node, master));
            next += node.Live;
        }

        RdbEncoding.WriteLength(output, (ulong)stream.Count);
        WriteId(output, stream.LastId);
        WriteId(output, stream.FirstId);
        WriteId(output, stream.MaxDeletedId);
        RdbEncoding.WriteLength(output, (ulong)stream.EntriesAdded);
        RdbEncoding.WriteLength(output, (ulong)stream.Groups.Count);
        foreach (var group in stream.Groups.Values)
        {
            RdbEncoding.WriteString(output, group.Name);
            WriteId(output, group.LastId);
            RdbEncoding.WriteLength(output, unchecked((ulong)group.EntriesRead));
            RdbEncoding.WriteLength(output, (ulong)group.Pending.Count);
            foreach (var pending in group.Pending)
            {
                WriteRawId(output, pending.Id);
                WriteMillisecondTime(output, pending.DeliveryTime);
                RdbEncoding.WriteLength(output, unchecked((ulong)pending.DeliveryCount));
            }

            RdbEncoding.WriteLength(output, (ulong)group.Consumers.Count);
            foreach (var consumer in group.Consumers.Values)
            {
                RdbEncoding.WriteString(output, consumer.Name);
                WriteMillisecondTime(output, consumer.SeenTime);
                RdbEncoding.WriteLength(output, (ulong)consumer.Pending.Count);
                foreach (var pending in consumer.Pending)
                    WriteRawId(output, pending.Id);
            }
        }
    }

    /// <summary>
    /// The node's listpack: the master entry (live count, deleted count, the first entry's field names, 0), then
    /// every entry (flags, id as differences from the master id, the field names unless they are the master's, the
    /// values, and the entry's element count), then the deleted records.
    /// </summary>
    private static byte[] NodeListpack(StreamValue stream, int first, StreamNode node, StreamId master)
    {
        var pack = new ListpackWriter();
        var masterItems = stream.EntryAt(first).FieldsAndValues;
        var masterFields = masterItems.Length / 2;
        pack.AddInteger(node.Live);
        pack.AddInteger(node.Slots - node.Live);
        pack.AddInteger(masterFields);
        for (var i = 0; i < masterItems.Length; i += 2)
            pack.AddString(masterItems[i]);
        pack.AddInteger(0);

        for (var n = first; n < first + node.Live; n++)
        {
            var entry = stream.EntryAt(n);
            var items = entry.FieldsAndValues;
            var fields = items.Length / 2;
            var same = SameFields(items, masterItems);
            pack.AddInteger(same ? FlagSameFields : 0);
            AddIdDifference(pack, entry.Id, master);
            if (!same)
                pack.AddInteger(fields);
            for (var i = 0; i < items.Length; i += 2)
            {
                if (!same)
                    pack.AddString(items[i]);
                pack.AddString(items[i + 1]);
            }

            pack.AddInteger(same ? fields + 3 : (2 * fields) + 4);
        }

        for (var n = node.Live; n < node.Slots; n++)
        {
            pack.AddInteger(FlagDeleted);
            AddIdDifference(pack, node.LastId, master);
            pack.AddInteger(0);
            pack.AddInteger(4);
        }

        return pack.ToArray();
    }

    private static bool SameFields(byte[][] items, byte[][] masterItems)
    {
        if (items.Length != masterItems.Length)
            return false;
        for (var i = 0; i < items.Length; i += 2)
        {
            if (!items[i].AsSpan().SequenceEqual(masterItems[i]))
                return false;
        }

        return true;
    }

    // Differences are two's complement 64-bit, as Redis subtracts and adds the unsigned halves.
    private static void AddIdDifference(ListpackWriter pack, StreamId id, StreamId master)
    {
        pack.AddInteger(unchecked((long)(id.Ms - master.Ms)));
        pack.AddInteger(unchecked((long)(id.Seq - master.Seq)));
    }

    private static void WriteId(IBufferWriter<byte> output, StreamId id)
    {
        RdbEncoding.WriteLength(output, id.Ms);
        RdbEncoding.WriteLength(output, id.Seq);
    }

    private static void WriteRawId(Span<byte> destination, StreamId id)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, id.Ms);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], id.Seq);
    }

    private static void WriteRawId(IBufferWriter<byte> output, StreamId id)
    {
        WriteRawId(output.GetSpan(16), id);
        output.Advance(16);
    }

    private static void WriteMillisecondTime(IBufferWriter<byte> output, long time)
    {
        BinaryPrimitives.WriteInt64LittleEndian(output.GetSpan(8), time);
        output.Advance(8);
    }
}
