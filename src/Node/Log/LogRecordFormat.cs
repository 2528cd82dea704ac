using System.Buffers.Binary;
using System.IO.Hashing;

namespace RaftKV.Node.Log;

/// <summary>
/// The bytes of a segment file (little-endian). A persisted format: change it only with a new version number.
/// <para>
/// Segment header, 32 bytes: <c>[u64 magic][u32 version][u32 zero][i64 first index][u64 XxHash64 of the 24 bytes before]</c>.
/// </para>
/// <para>
/// Record: <c>[u32 payload length][u32 flags][i64 term][i64 index][i64 batch][i32 command id][u64 checksum][payload]</c>,
/// 44 bytes before the payload. The checksum is XxHash64 of the 36 bytes before it and the payload. <c>batch</c> is the
/// index of the first record of the append that wrote this record: recovery uses it to tell a torn last append (its
/// sectors may reach the disk in any order, so valid records of it may follow a bad one) from damage to records that an
/// earlier sync made durable.
/// </para>
/// </summary>
internal static class LogRecordFormat
{
    public const int SegmentHeaderSize = 32;
    public const int RecordHeaderSize = 44;
    public const uint Version = 1;

    /// <summary>Largest payload a record may claim; anything larger is damage, not data.</summary>
    public const int MaxPayloadLength = 1 << 30;

    private const ulong Magic = 0x31474F4C564B5252; // "RRKVLOG1"
    private const int ChecksummedHeaderSize = 36;

    public const uint ConfigurationFlag = 1;
    public const uint CommandIdFlag = 2;
    private const uint KnownFlags = ConfigurationFlag | CommandIdFlag;

    public static void WriteSegmentHeader(Span<byte> destination, long firstIndex)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], firstIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], XxHash64.HashToUInt64(destination[..24]));
    }

    /// <summary>The first index a segment header names, or false when the header is not a valid one.</summary>
    public static bool TryReadSegmentHeader(ReadOnlySpan<byte> source, out long firstIndex)
    {
        firstIndex = 0;
        if (source.Length < SegmentHeaderSize
            || BinaryPrimitives.ReadUInt64LittleEndian(source) != Magic
            || BinaryPrimitives.ReadUInt32LittleEndian(source[8..]) != Version
            || BinaryPrimitives.ReadUInt64LittleEndian(source[24..]) != XxHash64.HashToUInt64(source[..24]))
            return false;
        firstIndex = BinaryPrimitives.ReadInt64LittleEndian(source[16..]);
        return firstIndex >= 1;
    }

    /// <summary>Writes a record's header for <paramref name="payload"/> (which the caller writes right after it).</summary>
    public static void WriteRecordHeader(Span<byte> destination, long term, long index, long batch, bool isConfiguration, int? commandId, ReadOnlySpan<byte> payload)
    {
        var flags = (isConfiguration ? ConfigurationFlag : 0) | (commandId.HasValue ? CommandIdFlag : 0);
        BinaryPrimitives.WriteInt32LittleEndian(destination, payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], flags);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], term);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], index);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], batch);
        BinaryPrimitives.WriteInt32LittleEndian(destination[32..], commandId.GetValueOrDefault());
        BinaryPrimitives.WriteUInt64LittleEndian(destination[36..], Checksum(destination[..ChecksummedHeaderSize], payload));
    }

    /// <summary>
    /// Parses a record header without checking the checksum; false when its fields cannot belong to any record
    /// (negative or huge length, unknown flags, an index or batch out of order).
    /// </summary>
    public static bool TryReadRecordHeader(ReadOnlySpan<byte> source, out RecordHeader header)
    {
        header = default;
        if (source.Length < RecordHeaderSize)
            return false;
        var length = BinaryPrimitives.ReadInt32LittleEndian(source);
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(source[4..]);
        var term = BinaryPrimitives.ReadInt64LittleEndian(source[8..]);
        var index = BinaryPrimitives.ReadInt64LittleEndian(source[16..]);
        var batch = BinaryPrimitives.ReadInt64LittleEndian(source[24..]);
        if (length is < 0 or > MaxPayloadLength || (flags & ~KnownFlags) != 0 || term < 0 || index < 1 || batch < 1 || batch > index)
            return false;
        var commandId = BinaryPrimitives.ReadInt32LittleEndian(source[32..]);
        header = new RecordHeader(length, flags, term, index, batch, commandId, BinaryPrimitives.ReadUInt64LittleEndian(source[36..]));
        return true;
    }

    /// <summary>True when <paramref name="payload"/> matches the checksum of the header at the start of <paramref name="headerBytes"/>.</summary>
    public static bool ChecksumMatches(ReadOnlySpan<byte> headerBytes, in RecordHeader header, ReadOnlySpan<byte> payload)
        => Checksum(headerBytes[..ChecksummedHeaderSize], payload) == header.Checksum;

    private static ulong Checksum(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        var hash = new XxHash64();
        hash.Append(header);
        hash.Append(payload);
        return hash.GetCurrentHashAsUInt64();
    }

    /// <summary>The fields of a record header.</summary>
    internal readonly record struct RecordHeader(int Length, uint Flags, long Term, long Index, long Batch, int CommandIdValue, ulong Checksum)
    {
        public bool IsConfiguration => (Flags & ConfigurationFlag) != 0;

        public int? CommandId => (Flags & CommandIdFlag) != 0 ? CommandIdValue : null;

        public long Size => RecordHeaderSize + (long)Length;
    }
}
