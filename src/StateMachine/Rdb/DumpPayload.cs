using System.Buffers;
using System.Buffers.Binary;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Values;
using RaftKV.StateMachine.Values.Streams;

namespace RaftKV.StateMachine.Rdb;

/// <summary>
/// DUMP's payload in Redis 7.0's format: the RDB type byte, the value in RDB encoding, the RDB version (2 bytes, little
/// endian) and the CRC-64 (<see cref="Crc64"/>) of everything before it (8 bytes, little endian). RaftKV writes the
/// plain RDB types that every Redis since 2.x loads (string, list, set, sorted set with binary scores, hash) and
/// streams as Redis 7.0 writes them (<see cref="StreamPayloadWriter"/>), so a payload restores in redis-server 7.0 as
/// in RaftKV; <see cref="DumpPayloadReader"/> reads what redis-server 7.0 writes.
/// </summary>
internal static class DumpPayload
{
    /// <summary>Redis 7.0's RDB_VERSION: payloads from a newer version are refused, as Redis refuses them.</summary>
    public const ushort RdbVersion = 10;

    private const int FooterLength = 10;

    public static byte[] Create(StoredValue value)
    {
        var output = new ArrayBufferWriter<byte>();
        switch (value)
        {
            case StringValue text:
                WriteType(output, RdbType.String);
                RdbEncoding.WriteString(output, text.Span);
                break;
            case ListValue list:
                WriteType(output, RdbType.List);
                RdbEncoding.WriteLength(output, (ulong)list.Count);
                foreach (var item in list.Items())
                    RdbEncoding.WriteString(output, item);
                break;
            case SetValue set:
                WriteType(output, RdbType.Set);
                RdbEncoding.WriteLength(output, (ulong)set.Count);
                foreach (var member in set.ReplyOrder())
                    RdbEncoding.WriteString(output, member);
                break;
            case SortedSetValue zset:
                WriteType(output, RdbType.Zset2);
                RdbEncoding.WriteLength(output, (ulong)zset.Count);
                foreach (var element in zset.All())
                {
                    RdbEncoding.WriteString(output, element.Member);
                    BinaryPrimitives.WriteDoubleLittleEndian(output.GetSpan(8), element.Score);
                    output.Advance(8);
                }

                break;
            case HashValue hash:
                WriteType(output, RdbType.Hash);
                RdbEncoding.WriteLength(output, (ulong)hash.Count);
                foreach (var pair in hash.Pairs())
                {
                    RdbEncoding.WriteString(output, pair.Key);
                    RdbEncoding.WriteString(output, pair.Value);
                }

                break;
            case StreamValue stream:
                WriteType(output, RdbType.StreamListpacks2);
                StreamPayloadWriter.Write(output, stream);
                break;
            default:
                throw new NotSupportedException("DUMP of a " + value.TypeName + " value is not supported.");
        }

        var footer = output.GetSpan(FooterLength);
        BinaryPrimitives.WriteUInt16LittleEndian(footer, RdbVersion);
        output.Advance(2);
        var crc = Crc64.Compute(output.WrittenSpan);
        BinaryPrimitives.WriteUInt64LittleEndian(output.GetSpan(8), crc);
        output.Advance(8);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Redis's verifyDumpPayload: at least a footer, an RDB version this node reads, and a matching CRC-64.</summary>
    public static bool HasValidFooter(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < FooterLength)
            return false;
        var footer = payload[^FooterLength..];
        if (BinaryPrimitives.ReadUInt16LittleEndian(footer) > RdbVersion)
            return false;
        return Crc64.Compute(payload[..^8]) == BinaryPrimitives.ReadUInt64LittleEndian(footer[2..]);
    }

    /// <summary>The value of a payload whose footer is valid, or null when its body is not a value Redis 7.0 would load ("Bad data format").</summary>
    public static StoredValue? TryRead(ReadOnlySpan<byte> payload) =>
        payload.Length < FooterLength ? null : DumpPayloadReader.TryRead(payload[..^FooterLength]);

    private static void WriteType(ArrayBufferWriter<byte> output, RdbType type)
    {
        output.GetSpan(1)[0] = (byte)type;
        output.Advance(1);
    }

    /// <summary>True when <paramref name="text"/> is a canonical integer (as Redis's string2ll accepts for int encoding).</summary>
    internal static bool IsCanonicalInteger(ReadOnlySpan<byte> text, out long value) =>
        RedisIntegers.TryParse(text, out value) && RedisIntegers.Format(value).AsSpan().SequenceEqual(text);
}
