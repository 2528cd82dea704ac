using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Numbers;

namespace RaftKV.StateMachine.Commands;

/// <summary>The argument parsing the bitmap commands share, with Redis 7.0's limits and error words.</summary>
internal static class BitArguments
{
    public const string OffsetError = "ERR bit offset is not an integer or out of range";
    public const string BitValueError = "ERR bit is not an integer or out of range";
    public const string BitfieldTypeError = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

    /// <summary>
    /// A bit offset: an integer in [0, 2^32), so that the byte holding it lies within proto-max-bulk-len (512 MB), which
    /// bounds what a client-sent offset can make the store allocate. With <paramref name="bits"/> &gt; 0 (BITFIELD), the
    /// form "#n" means n * bits; the product wraps as Redis's does and is then checked like any offset.
    /// </summary>
    public static bool TryParseOffset(ReadOnlySpan<byte> text, int bits, out long offset)
    {
        var byWidth = bits > 0 && text.Length > 0 && text[0] == (byte)'#';
        if (!RedisIntegers.TryParse(byWidth ? text[1..] : text, out offset))
        {
            return false;
        }

        if (byWidth)
        {
            offset = unchecked(offset * bits);
        }

        return offset >= 0 && (offset >> 3) < StringCommands.MaxStringLength;
    }

    /// <summary>A BITFIELD type: i1..i64 or u1..u63.</summary>
    public static bool TryParseType(ReadOnlySpan<byte> text, out bool signed, out int bits)
    {
        signed = text.Length > 0 && text[0] == (byte)'i';
        bits = 0;
        if (text.Length == 0 || (text[0] != (byte)'i' && text[0] != (byte)'u')
            || !RedisIntegers.TryParse(text[1..], out var width) || width < 1 || width > (signed ? 64 : 63))
        {
            return false;
        }

        bits = (int)width;
        return true;
    }

    /// <summary>SETBIT's offset and value, checked in Redis's order; null when both are valid.</summary>
    public static Reply? ValidateSetBit(byte[][] args)
    {
        if (!TryParseOffset(args[1], 0, out _))
        {
            return Reply.Error(OffsetError);
        }

        return RedisIntegers.TryParse(args[2], out var value) && (value & ~1L) == 0 ? null : Reply.Error(BitValueError);
    }
}
