using System.Buffers.Binary;
using RaftKV.StateMachine.Numbers;

namespace RaftKV.StateMachine.Rdb;

/// <summary>
/// Reads a Redis listpack (listpack.c, as redis-server 7.0 writes it into DUMP payloads): total bytes (u32), element
/// count (u16, 65535 = unknown), entries, and the terminator 0xFF. Each entry is an encoding byte with its integer or
/// string, then its length again backwards (1-5 bytes, checked). Integer entries are returned as their decimal text, which is
/// how Redis hands them out too. Null for any inconsistency.
/// </summary>
internal static class ListpackReader
{
    private const int HeaderLength = 6;
    private const byte End = 0xFF;

    public static List<byte[]>? Read(ReadOnlySpan<byte> pack)
    {
        if (pack.Length < HeaderLength + 1 || BinaryPrimitives.ReadUInt32LittleEndian(pack) != (uint)pack.Length || pack[^1] != End)
            return null;
        var declared = BinaryPrimitives.ReadUInt16LittleEndian(pack[4..]);
        var entries = new List<byte[]>();
        var position = HeaderLength;
        while (position < pack.Length - 1)
        {
            if (!TryReadEntry(pack[position..^1], out var entry, out var length))
                return null;
            entries.Add(entry);
            position += length;
            if (!HasBackLength(pack[position..^1], length, out var backLength))
                return null;
            position += backLength;
        }

        return declared == ushort.MaxValue || declared == entries.Count ? entries : null;
    }

    /// <summary>One entry: its bytes as a string and the length of its encoding and data (without the back length).</summary>
    private static bool TryReadEntry(ReadOnlySpan<byte> data, out byte[] entry, out int length)
    {
        entry = [];
        length = 0;
        var first = data[0];
        if ((first & 0x80) == 0)
        {
            length = 1;
            entry = RedisIntegers.Format(first & 0x7F);
            return true;
        }

        if ((first & 0xC0) == 0x80)
            return TryString(data, 1, first & 0x3F, out entry, out length);
        if ((first & 0xE0) == 0xC0)
        {
            if (data.Length < 2)
                return false;
            var raw = ((first & 0x1F) << 8) | data[1];
            length = 2;
            entry = RedisIntegers.Format(raw >= 1 << 12 ? raw - (1 << 13) : raw);
            return true;
        }

        if ((first & 0xF0) == 0xE0)
            return data.Length >= 2 && TryString(data, 2, ((first & 0x0F) << 8) | data[1], out entry, out length);
        switch (first)
        {
            case 0xF0:
                if (data.Length < 5)
                    return false;
                var size = BinaryPrimitives.ReadUInt32LittleEndian(data[1..]);
                return size <= int.MaxValue && TryString(data, 5, (int)size, out entry, out length);
            case 0xF1:
                return TryInteger(data, 2, out entry, out length);
            case 0xF2:
                return TryInteger(data, 3, out entry, out length);
            case 0xF3:
                return TryInteger(data, 4, out entry, out length);
            case 0xF4:
                return TryInteger(data, 8, out entry, out length);
            default:
                return false;
        }
    }

    private static bool TryString(ReadOnlySpan<byte> data, int header, int size, out byte[] entry, out int length)
    {
        entry = [];
        length = header + size;
        if (size < 0 || length > data.Length)
            return false;
        entry = data.Slice(header, size).ToArray();
        return true;
    }

    // A little-endian two's complement integer of 2, 3, 4 or 8 bytes after the encoding byte.
    private static bool TryInteger(ReadOnlySpan<byte> data, int width, out byte[] entry, out int length)
    {
        entry = [];
        length = 1 + width;
        if (data.Length < length)
            return false;
        long value = 0;
        for (var i = width; i >= 1; i--)
            value = (value << 8) | data[i];
        var unused = 64 - (8 * width);
        value = (value << unused) >> unused;
        entry = RedisIntegers.Format(value);
        return true;
    }

    /// <summary>True when <paramref name="data"/> opens with the back length of an entry of <paramref name="length"/> bytes, as Redis's lpValidateNext checks it.</summary>
    private static bool HasBackLength(ReadOnlySpan<byte> data, int length, out int size)
    {
        Span<byte> expected = stackalloc byte[5];
        size = ListpackWriter.WriteBackLength(expected, length);
        return data.Length >= size && data[..size].SequenceEqual(expected[..size]);
    }
}
