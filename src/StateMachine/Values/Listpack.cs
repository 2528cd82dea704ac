namespace RaftKV.StateMachine.Values;

/// <summary>
/// A compact sequence of byte strings in one array, in the manner of Redis's listpack: each entry is its
/// length (unsigned LEB128) followed by its bytes, with no spare capacity. Small hashes and sorted sets
/// use it instead of a dictionary, trading O(n) scans of a short array for far less memory per key.
/// Every change returns a new array (O(n) copy, as Redis's listpack reallocates): callers swap it in.
/// </summary>
internal static class Listpack
{
    public static readonly byte[] Empty = [];

    /// <summary>Reads the entry at <paramref name="offset"/>: its bytes and the offset of the next entry.</summary>
    public static ReadOnlySpan<byte> Read(byte[] pack, int offset, out int next)
    {
        var length = 0;
        var shift = 0;
        byte b;
        do
        {
            b = pack[offset++];
            length |= (b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);

        next = offset + length;
        return pack.AsSpan(offset, length);
    }

    /// <summary>Skips the entry at <paramref name="offset"/> and returns the offset of the next one.</summary>
    public static int Skip(byte[] pack, int offset)
    {
        Read(pack, offset, out var next);
        return next;
    }

    /// <summary>A new pack with <paramref name="entries"/> inserted at byte <paramref name="offset"/>.</summary>
    public static byte[] Insert(byte[] pack, int offset, params ReadOnlySpan<byte[]> entries)
    {
        var added = 0;
        foreach (var entry in entries)
        {
            added += EncodedLength(entry.Length);
        }

        var result = new byte[pack.Length + added];
        pack.AsSpan(0, offset).CopyTo(result);
        var position = offset;
        foreach (var entry in entries)
        {
            position += WriteEntry(result.AsSpan(position), entry);
        }

        pack.AsSpan(offset).CopyTo(result.AsSpan(position));
        return result;
    }

    /// <summary>A new pack without the bytes from <paramref name="start"/> to <paramref name="end"/> (whole entries).</summary>
    public static byte[] Remove(byte[] pack, int start, int end)
    {
        if (start == 0 && end == pack.Length)
        {
            return Empty;
        }

        var result = new byte[pack.Length - (end - start)];
        pack.AsSpan(0, start).CopyTo(result);
        pack.AsSpan(end).CopyTo(result.AsSpan(start));
        return result;
    }

    /// <summary>A new pack with the entry at <paramref name="offset"/> replaced by <paramref name="replacement"/>.</summary>
    public static byte[] Replace(byte[] pack, int offset, byte[] replacement)
    {
        var end = Skip(pack, offset);
        return Insert(Remove(pack, offset, end), offset, replacement);
    }

    private static int EncodedLength(int length)
    {
        var prefix = 1;
        for (var rest = length; rest >= 0x80; rest >>= 7)
        {
            prefix++;
        }

        return prefix + length;
    }

    private static int WriteEntry(Span<byte> destination, byte[] entry)
    {
        var length = entry.Length;
        var position = 0;
        while (length >= 0x80)
        {
            destination[position++] = (byte)(length | 0x80);
            length >>= 7;
        }

        destination[position++] = (byte)length;
        entry.CopyTo(destination[position..]);
        return position + entry.Length;
    }
}
