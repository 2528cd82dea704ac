using System.Buffers.Binary;
using RaftKV.Protocol.Resp;
using RaftKV.StateMachine.Commands;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Rdb;

/// <summary>
/// Reads the body of a DUMP payload (type byte and value, footer removed) into a value: the plain RDB types, and the
/// compact ones redis-server 7.0 writes (intset, listpack hashes and sorted sets, quicklist 2 lists), streams (both
/// listpack stream types Redis 7.0 reads, <see cref="StreamPayloadReader"/>), with integer and LZF-compressed strings.
/// Anything else, or any inconsistency, gives null, never an exception or an allocation larger than the payload can
/// justify: every count is checked against the bytes left before anything is allocated. The ziplist encodings of
/// Redis 6 and older are not read (RESTORE answers "Bad data format").
/// </summary>
internal static class DumpPayloadReader
{
    public static StoredValue? TryRead(ReadOnlySpan<byte> body)
    {
        var reader = new RdbReader(body);
        try
        {
            var value = reader.TryReadByte(out var type) ? ReadValue(ref reader, (RdbType)type) : null;
            return value is not null && reader.Remaining == 0 ? value : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// FUNCTION RESTORE's payload body (footer removed): libraries, each RDB_OPCODE_FUNCTION2 (245) and its code, or
    /// the 7.0 release candidates' RDB_OPCODE_FUNCTION (246): name, engine, an optional description and the code
    /// without its shebang line, which becomes <c>#!engine name=name</c> as Redis's rdbFunctionLoad rebuilds it.
    /// Returns null with every library's code added to <paramref name="codes"/>, or Redis's error.
    /// </summary>
    public static string? TryReadLibraries(ReadOnlySpan<byte> body, List<byte[]> codes)
    {
        var reader = new RdbReader(body);
        while (reader.Remaining > 0)
        {
            reader.TryReadByte(out var type);
            if (type is not (245 or 246))
                return "given type is not a function";
            string? step = null;
            try
            {
                if (type == 245)
                {
                    step = "Failed loading library payload";
                    codes.Add(reader.ReadString());
                    continue;
                }

                step = "Failed loading library name";
                var name = reader.ReadString();
                step = "Failed loading engine name";
                var engine = reader.ReadString();
                step = "Failed loading library description indicator";
                if (reader.ReadLength() != 0)
                {
                    step = "Failed loading library description";
                    reader.ReadString();
                }

                step = "Failed loading library blob";
                var blob = reader.ReadString();
                codes.Add([.. "#!"u8, .. engine, .. " name="u8, .. name, .. "\n"u8, .. blob]);
            }
            catch (FormatException)
            {
                return step;
            }
        }

        return null;
    }

    private static StoredValue? ReadValue(ref RdbReader reader, RdbType type)
    {
        switch (type)
        {
            case RdbType.String:
                return StringValue.Of(reader.ReadString());
            case RdbType.List:
                {
                    var list = new ListValue();
                    for (var n = reader.ReadCount(); n > 0; n--)
                        list.PushBack(reader.ReadString());
                    return list.Count == 0 ? null : list;
                }

            case RdbType.Set:
                {
                    var set = new SetValue();
                    for (var n = reader.ReadCount(); n > 0; n--)
                    {
                        if (!set.Add(reader.ReadString()))
                            return null;
                    }

                    return set.Count == 0 ? null : set;
                }

            case RdbType.Zset or RdbType.Zset2:
                {
                    var count = reader.ReadCount();
                    var elements = new List<ScoredMember>(count);
                    for (var n = count; n > 0; n--)
                    {
                        var member = reader.ReadString();
                        var score = type == RdbType.Zset2 ? reader.ReadBinaryDouble() : reader.ReadTextDouble();
                        elements.Add(new(member, score));
                    }

                    return BuildSortedSet(elements);
                }

            case RdbType.Hash:
                {
                    var count = reader.ReadCount();
                    var pairs = new List<KeyValuePair<byte[], byte[]>>(count);
                    for (var n = count; n > 0; n--)
                        pairs.Add(new(reader.ReadString(), reader.ReadString()));
                    return BuildHash(pairs);
                }

            case RdbType.SetIntset:
                return ReadIntset(reader.ReadString());
            case RdbType.HashListpack:
                {
                    var entries = ListpackReader.Read(reader.ReadString());
                    if (entries is null || entries.Count % 2 != 0)
                        return null;
                    var pairs = new List<KeyValuePair<byte[], byte[]>>(entries.Count / 2);
                    for (var i = 0; i < entries.Count; i += 2)
                        pairs.Add(new(entries[i], entries[i + 1]));
                    return BuildHash(pairs);
                }

            case RdbType.ZsetListpack:
                {
                    var entries = ListpackReader.Read(reader.ReadString());
                    if (entries is null || entries.Count % 2 != 0)
                        return null;
                    var elements = new List<ScoredMember>(entries.Count / 2);
                    for (var i = 0; i < entries.Count; i += 2)
                    {
                        if (!RedisNumber.TryParseDouble(entries[i + 1], out var score))
                            return null;
                        elements.Add(new(entries[i], score));
                    }

                    return BuildSortedSet(elements);
                }

            case RdbType.ListQuicklist2:
                {
                    var list = new ListValue();
                    for (var nodes = reader.ReadCount(); nodes > 0; nodes--)
                    {
                        var container = reader.ReadCount();
                        var node = reader.ReadString();
                        if (container == QuicklistPlain)
                        {
                            list.PushBack(node);
                            continue;
                        }

                        var entries = container == QuicklistPacked ? ListpackReader.Read(node) : null;
                        if (entries is null || entries.Count == 0)
                            return null;
                        foreach (var entry in entries)
                            list.PushBack(entry);
                    }

                    return list.Count == 0 ? null : list;
                }

            case RdbType.StreamListpacks or RdbType.StreamListpacks2:
                return StreamPayloadReader.Read(ref reader, type == RdbType.StreamListpacks2);
            default:
                return null;
        }
    }

    // quicklist.h: QUICKLIST_NODE_CONTAINER_PLAIN and _PACKED.
    private const int QuicklistPlain = 1;
    private const int QuicklistPacked = 2;

    private static SetValue? ReadIntset(byte[] blob)
    {
        // intset.h: encoding (bytes per integer: 2, 4 or 8) and length, both 32-bit little endian, then the integers
        // in ascending order, little endian.
        if (blob.Length < 8)
            return null;
        var width = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(4));
        if (width is not (2 or 4 or 8) || length == 0 || (ulong)length * width != (ulong)(blob.Length - 8))
            return null;
        var set = new SetValue();
        for (var i = 0; i < length; i++)
        {
            var item = blob.AsSpan(8 + (i * (int)width), (int)width);
            long value = width switch
            {
                2 => BinaryPrimitives.ReadInt16LittleEndian(item),
                4 => BinaryPrimitives.ReadInt32LittleEndian(item),
                _ => BinaryPrimitives.ReadInt64LittleEndian(item),
            };
            if (!set.Add(RedisIntegers.Format(value)))
                return null;
        }

        return set;
    }

    private static HashValue? BuildHash(List<KeyValuePair<byte[], byte[]>> pairs)
    {
        if (pairs.Count == 0)
            return null;
        var hash = new HashValue();
        foreach (var (field, value) in pairs)
        {
            hash.ConvertIfAnyLong([field, value]);
            if (!hash.Set(field, value))
                return null;
        }

        return hash;
    }

    private static SortedSetValue? BuildSortedSet(List<ScoredMember> elements)
    {
        if (elements.Count == 0)
            return null;
        var longest = elements.Max(static element => element.Member.Length);
        var zset = SortedSetValue.Create(elements.Count, longest);
        foreach (var element in elements)
        {
            if (double.IsNaN(element.Score) || !zset.Set(element.Member, element.Score))
                return null;
        }

        return zset;
    }
}
