using System.Buffers;
using System.Buffers.Binary;

namespace RaftKV.StateMachine.Rdb;

/// <summary>
/// Builds a Redis listpack (listpack.c's layout, which <see cref="ListpackReader"/> reads): total bytes (u32) and
/// element count (u16, 65535 when larger), the entries, and the terminator 0xFF. Strings that are canonical 64-bit
/// integers are stored in an integer encoding, as Redis's lpAppend stores them, so Redis reads back the same entries.
/// </summary>
internal sealed class ListpackWriter
{
    private const int HeaderLength = 6;
    private const byte End = 0xFF;

    private readonly ArrayBufferWriter<byte> _entries = new();
    private int _count;

    public void AddInteger(long value)
    {
        var span = _entries.GetSpan(9 + 1);
        int length;
        if (value is >= 0 and <= 127)
        {
            span[0] = (byte)value;
            length = 1;
        }
        else if (value is >= -4096 and <= 4095)
        {
            var raw = (int)(value & 0x1FFF);
            span[0] = (byte)(0xC0 | (raw >> 8));
            span[1] = (byte)raw;
            length = 2;
        }
        else if (value is >= short.MinValue and <= short.MaxValue)
        {
            span[0] = 0xF1;
            BinaryPrimitives.WriteInt16LittleEndian(span[1..], (short)value);
            length = 3;
        }
        else if (value is >= -8388608 and <= 8388607)
        {
            span[0] = 0xF2;
            span[1] = (byte)value;
            span[2] = (byte)(value >> 8);
            span[3] = (byte)(value >> 16);
            length = 4;
        }
        else if (value is >= int.MinValue and <= int.MaxValue)
        {
            span[0] = 0xF3;
            BinaryPrimitives.WriteInt32LittleEndian(span[1..], (int)value);
            length = 5;
        }
        else
        {
            span[0] = 0xF4;
            BinaryPrimitives.WriteInt64LittleEndian(span[1..], value);
            length = 9;
        }

        WriteBackLength(span[length..], length);
        _entries.Advance(length + 1);
        _count++;
    }

    public void AddString(ReadOnlySpan<byte> text)
    {
        if (text.Length <= 20 && DumpPayload.IsCanonicalInteger(text, out var value))
        {
            AddInteger(value);
            return;
        }

        var header = text.Length < 64 ? 1 : text.Length < 4096 ? 2 : 5;
        var length = header + text.Length;
        var backLength = BackLengthSize(length);
        var span = _entries.GetSpan(length + backLength);
        switch (header)
        {
            case 1:
                span[0] = (byte)(0x80 | text.Length);
                break;
            case 2:
                span[0] = (byte)(0xE0 | (text.Length >> 8));
                span[1] = (byte)text.Length;
                break;
            default:
                span[0] = 0xF0;
                BinaryPrimitives.WriteInt32LittleEndian(span[1..], text.Length);
                break;
        }

        text.CopyTo(span[header..]);
        WriteBackLength(span[length..], length);
        _entries.Advance(length + backLength);
        _count++;
    }

    public byte[] ToArray()
    {
        var pack = new byte[HeaderLength + _entries.WrittenCount + 1];
        BinaryPrimitives.WriteUInt32LittleEndian(pack, (uint)pack.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(pack.AsSpan(4), (ushort)Math.Min(_count, ushort.MaxValue));
        _entries.WrittenSpan.CopyTo(pack.AsSpan(HeaderLength));
        pack[^1] = End;
        return pack;
    }

    /// <summary>
    /// The bytes of an entry's back length (its encoding and data length, read backwards from the next entry): as Redis's
    /// lpEncodeBacklen sizes it, whose limits for 2, 3 and 4 bytes are one below the powers of two.
    /// </summary>
    internal static int BackLengthSize(int length) =>
        length <= 127 ? 1 : length < 16383 ? 2 : length < 2097151 ? 3 : length < 268435455 ? 4 : 5;

    /// <summary>
    /// Writes the back length of an entry of <paramref name="length"/> bytes: 7 bits a byte, most significant first,
    /// every byte but the first with its high bit set (so a reader going backwards knows when to stop).
    /// </summary>
    internal static int WriteBackLength(Span<byte> destination, int length)
    {
        var size = BackLengthSize(length);
        for (var i = 0; i < size; i++)
        {
            var shift = 7 * (size - 1 - i);
            destination[i] = (byte)(((length >> shift) & 0x7F) | (i == 0 ? 0 : 0x80));
        }

        return size;
    }
}
