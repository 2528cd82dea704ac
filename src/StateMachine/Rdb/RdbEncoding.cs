using System.Buffers;
using System.Buffers.Binary;

namespace RaftKV.StateMachine.Rdb;

/// <summary>
/// RDB's length and string encodings (rdb.c): a length is 6 bits in one byte (00), 14 bits in two (01, big endian),
/// or 0x80 + 32 bits / 0x81 + 64 bits (big endian); 11xxxxxx marks a string encoded as an 8, 16 or 32-bit integer
/// (little endian) or LZF-compressed.
/// </summary>
internal static class RdbEncoding
{
    public static void WriteLength(IBufferWriter<byte> output, ulong length)
    {
        if (length < 1 << 6)
        {
            output.GetSpan(1)[0] = (byte)length;
            output.Advance(1);
        }
        else if (length < 1 << 14)
        {
            var span = output.GetSpan(2);
            span[0] = (byte)(0x40 | (length >> 8));
            span[1] = (byte)length;
            output.Advance(2);
        }
        else if (length <= uint.MaxValue)
        {
            var span = output.GetSpan(5);
            span[0] = 0x80;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
            output.Advance(5);
        }
        else
        {
            var span = output.GetSpan(9);
            span[0] = 0x81;
            BinaryPrimitives.WriteUInt64BigEndian(span[1..], length);
            output.Advance(9);
        }
    }

    /// <summary>A string as Redis's rdbSaveRawString writes it without compression: short canonical integers as integers.</summary>
    public static void WriteString(IBufferWriter<byte> output, ReadOnlySpan<byte> text)
    {
        if (text.Length <= 11 && DumpPayload.IsCanonicalInteger(text, out var value) && value is >= int.MinValue and <= int.MaxValue)
        {
            var span = output.GetSpan(5);
            if (value is >= sbyte.MinValue and <= sbyte.MaxValue)
            {
                span[0] = 0xC0;
                span[1] = (byte)(sbyte)value;
                output.Advance(2);
            }
            else if (value is >= short.MinValue and <= short.MaxValue)
            {
                span[0] = 0xC1;
                BinaryPrimitives.WriteInt16LittleEndian(span[1..], (short)value);
                output.Advance(3);
            }
            else
            {
                span[0] = 0xC2;
                BinaryPrimitives.WriteInt32LittleEndian(span[1..], (int)value);
                output.Advance(5);
            }

            return;
        }

        WriteLength(output, (ulong)text.Length);
        output.Write(text);
    }
}
