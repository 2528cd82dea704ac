namespace RaftKV.StateMachine.HyperLogLog;

/// <summary>
/// Redis's dense HLL registers: 16384 six-bit registers packed little-end first (register i starts at bit 6*i, its low
/// bits in the low bits of that byte), 12288 bytes after the 16-byte header.
/// </summary>
internal static class HllDense
{
    public static int Get(ReadOnlySpan<byte> registers, int index)
    {
        var bit = index * HllFormat.RegisterBits;
        var b = bit >> 3;
        var shift = bit & 7;
        var low = registers[b] >> shift;
        var high = b + 1 < registers.Length ? registers[b + 1] << (8 - shift) : 0;
        return (low | high) & HllFormat.RegisterMax;
    }

    public static void Set(Span<byte> registers, int index, int value)
    {
        var bit = index * HllFormat.RegisterBits;
        var b = bit >> 3;
        var shift = bit & 7;
        registers[b] = (byte)((registers[b] & ~(HllFormat.RegisterMax << shift)) | (value << shift));
        if (b + 1 < registers.Length)
        {
            registers[b + 1] = (byte)((registers[b + 1] & ~(HllFormat.RegisterMax >> (8 - shift))) | (value >> (8 - shift)));
        }
    }

    /// <summary>Raises register <paramref name="index"/> to <paramref name="count"/>; true when it was lower.</summary>
    public static bool Raise(Span<byte> registers, int index, int count)
    {
        if (count <= Get(registers, index))
        {
            return false;
        }

        Set(registers, index, count);
        return true;
    }

    public static void Histogram(ReadOnlySpan<byte> registers, Span<int> histogram)
    {
        for (var i = 0; i < HllFormat.Registers; i++)
        {
            histogram[Get(registers, i)]++;
        }
    }

    /// <summary>max[i] = max(max[i], register i).</summary>
    public static void MergeInto(ReadOnlySpan<byte> registers, Span<byte> max)
    {
        for (var i = 0; i < HllFormat.Registers; i++)
        {
            var value = (byte)Get(registers, i);
            if (value > max[i])
            {
                max[i] = value;
            }
        }
    }
}
