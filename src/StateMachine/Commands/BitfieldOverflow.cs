namespace RaftKV.StateMachine.Commands;

/// <summary>
/// BITFIELD's overflow rules: whether value + increment fits a field of the given width, and the value to store when
/// it does not (saturated at the limit, or wrapped: modulo 2^bits for unsigned, two's complement for signed), with the
/// same edge cases as Redis 7.0 (a SET is checked as value + 0, so an out-of-range SET value overflows too).
/// </summary>
internal static class BitfieldOverflow
{
    /// <summary>True on overflow or underflow; <paramref name="result"/> is what WRAP or SAT stores, or the plain sum.</summary>
    public static bool Unsigned(ulong value, long increment, int bits, bool saturate, out ulong result)
    {
        unchecked
        {
            var max = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
            var maxIncrement = (long)(max - value);
            var minIncrement = -(long)value;
            var wrapped = (value + (ulong)increment) & ~(bits == 64 ? 0UL : ulong.MaxValue << bits);
            if (value > max || (increment > 0 && increment > maxIncrement))
            {
                result = saturate ? max : wrapped;
                return true;
            }

            if (increment < 0 && increment < minIncrement)
            {
                result = saturate ? 0 : wrapped;
                return true;
            }

            result = value + (ulong)increment;
            return false;
        }
    }

    /// <summary>True on overflow or underflow; <paramref name="result"/> is what WRAP or SAT stores, or the plain sum.</summary>
    public static bool Signed(long value, long increment, int bits, bool saturate, out long result)
    {
        unchecked
        {
            var max = bits == 64 ? long.MaxValue : (1L << (bits - 1)) - 1;
            var min = -max - 1;
            var maxIncrement = (long)((ulong)max - (ulong)value);
            var minIncrement = min - value;
            if (value > max || (bits != 64 && increment > maxIncrement) || (value >= 0 && increment > 0 && increment > maxIncrement))
            {
                result = saturate ? max : Wrap(value, increment, bits);
                return true;
            }

            if (value < min || (bits != 64 && increment < minIncrement) || (value < 0 && increment < 0 && increment < minIncrement))
            {
                result = saturate ? min : Wrap(value, increment, bits);
                return true;
            }

            result = value + increment;
            return false;
        }
    }

    private static long Wrap(long value, long increment, int bits)
    {
        unchecked
        {
            var sum = (ulong)value + (ulong)increment;
            if (bits < 64)
            {
                var mask = ulong.MaxValue << bits;
                sum = (sum & (1UL << (bits - 1))) != 0 ? sum | mask : sum & ~mask;
            }

            return (long)sum;
        }
    }
}
