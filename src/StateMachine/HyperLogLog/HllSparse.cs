namespace RaftKV.StateMachine.HyperLogLog;

/// <summary>
/// Redis's sparse HLL encoding: after the header, opcodes that run-length encode the 16384 registers.
/// ZERO 00xxxxxx: 1-64 zero registers; XZERO 01xxxxxx yyyyyyyy: 1-16384 zero registers (14-bit length - 1);
/// VAL 1vvvvvxx: 1-4 registers of value 1-32. Updates follow Redis's algorithm step by step (split the opcode covering
/// the register, then merge adjacent equal VALs from the previous opcode on, at most five opcodes), because the bytes
/// are visible to GET and must equal what redis-server produces for the same additions.
/// </summary>
internal static class HllSparse
{
    private const int ValMaxValue = 32;
    private const int ValMaxLength = 4;
    private const int ZeroMaxLength = 64;

    public static void WriteXZero(Span<byte> target, int length)
    {
        target[0] = (byte)(0x40 | ((length - 1) >> 8));
        target[1] = (byte)((length - 1) & 0xFF);
    }

    /// <summary>
    /// Raises register <paramref name="index"/> of the sparse <paramref name="hll"/> to <paramref name="count"/>, replacing
    /// the array when its length changes or it becomes dense (past <paramref name="sparseMaxBytes"/>, or a count above 32).
    /// Returns 1 when a register changed, 0 when not, -1 when the opcodes are corrupt (nothing changed then).
    /// </summary>
    public static int Set(ref byte[] hll, int index, int count, int sparseMaxBytes)
    {
        if (count > ValMaxValue)
        {
            return Promote(ref hll, index, count);
        }

        var end = hll.Length;
        var p = HllFormat.HeaderSize;
        var first = 0;
        var previous = -1;
        var span = 0;
        while (p < end)
        {
            var opLength = IsXZero(hll[p]) ? 2 : 1;
            span = RunLength(hll, p);
            if (index <= first + span - 1)
            {
                break;
            }

            previous = p;
            p += opLength;
            first += span;
        }

        if (span == 0 || p >= end || (IsXZero(hll[p]) && p + 1 >= end))
        {
            return -1;
        }

        var op = hll[p];
        var runLength = span;
        var buffer = new byte[end + 3];
        hll.CopyTo(buffer, 0);
        if (IsVal(op))
        {
            if (ValValue(op) >= count)
            {
                return 0;
            }

            if (runLength == 1)
            {
                buffer[p] = Val(count, 1);
                hll = MergeAdjacent(buffer, end, previous);
                return 1;
            }
        }
        else if (!IsXZero(op) && runLength == 1)
        {
            buffer[p] = Val(count, 1);
            hll = MergeAdjacent(buffer, end, previous);
            return 1;
        }

        Span<byte> sequence = stackalloc byte[5];
        var n = 0;
        var last = first + span - 1;
        if (IsVal(op))
        {
            var current = ValValue(op);
            if (index != first)
            {
                sequence[n++] = Val(current, index - first);
            }

            sequence[n++] = Val(count, 1);
            if (index != last)
            {
                sequence[n++] = Val(current, last - index);
            }
        }
        else
        {
            if (index != first)
            {
                n += WriteZeros(sequence[n..], index - first);
            }

            sequence[n++] = Val(count, 1);
            if (index != last)
            {
                n += WriteZeros(sequence[n..], last - index);
            }
        }

        var oldLength = IsXZero(op) ? 2 : 1;
        var delta = n - oldLength;
        if (delta > 0 && end + delta > sparseMaxBytes)
        {
            return Promote(ref hll, index, count);
        }

        hll.AsSpan(p + oldLength, end - p - oldLength).CopyTo(buffer.AsSpan(p + n));
        sequence[..n].CopyTo(buffer.AsSpan(p));
        hll = MergeAdjacent(buffer, end + delta, previous);
        return 1;
    }

    /// <summary>The dense form of a sparse HLL (header kept, encoding dense); false when the opcodes do not cover exactly 16384 registers.</summary>
    public static bool TryToDense(ReadOnlySpan<byte> hll, out byte[] dense)
    {
        dense = new byte[HllFormat.DenseSize];
        hll[..HllFormat.HeaderSize].CopyTo(dense);
        HllFormat.SetEncoding(dense, HllFormat.Dense);
        var registers = dense.AsSpan(HllFormat.HeaderSize);
        var index = 0;
        for (var p = HllFormat.HeaderSize; p < hll.Length; p += IsXZero(hll[p]) ? 2 : 1)
        {
            var runLength = RunLength(hll, p);
            if (IsVal(hll[p]))
            {
                if (index + runLength > HllFormat.Registers)
                {
                    break;
                }

                for (var i = 0; i < runLength; i++)
                {
                    HllDense.Set(registers, index++, ValValue(hll[p]));
                }
            }
            else
            {
                index += runLength;
            }
        }

        return index == HllFormat.Registers;
    }

    /// <summary>Adds the registers to <paramref name="histogram"/>; false when they do not cover exactly 16384 registers.</summary>
    public static bool Histogram(ReadOnlySpan<byte> hll, Span<int> histogram)
    {
        long index = 0;
        for (var p = HllFormat.HeaderSize; p < hll.Length; p += IsXZero(hll[p]) ? 2 : 1)
        {
            var runLength = RunLength(hll, p);
            histogram[IsVal(hll[p]) ? ValValue(hll[p]) : 0] += runLength;
            index += runLength;
        }

        return index == HllFormat.Registers;
    }

    /// <summary>max[i] = max(max[i], register i); false when the opcodes are corrupt.</summary>
    public static bool MergeInto(ReadOnlySpan<byte> hll, Span<byte> max)
    {
        var index = 0;
        for (var p = HllFormat.HeaderSize; p < hll.Length; p += IsXZero(hll[p]) ? 2 : 1)
        {
            var runLength = RunLength(hll, p);
            if (!IsVal(hll[p]))
            {
                index += runLength;
                continue;
            }

            if (index + runLength > HllFormat.Registers)
            {
                break;
            }

            var value = (byte)ValValue(hll[p]);
            for (var i = 0; i < runLength; i++, index++)
            {
                max[index] = Math.Max(max[index], value);
            }
        }

        return index == HllFormat.Registers;
    }

    /// <summary>"z:n", "Z:n" and "v:value,n" for each opcode, space-separated (PFDEBUG DECODE).</summary>
    public static string Decode(ReadOnlySpan<byte> hll)
    {
        var parts = new List<string>();
        for (var p = HllFormat.HeaderSize; p < hll.Length; p += IsXZero(hll[p]) ? 2 : 1)
        {
            var runLength = RunLength(hll, p);
            parts.Add(IsVal(hll[p]) ? FormattableString.Invariant($"v:{ValValue(hll[p])},{runLength}")
                : IsXZero(hll[p]) ? FormattableString.Invariant($"Z:{runLength}")
                : FormattableString.Invariant($"z:{runLength}"));
        }

        return string.Join(' ', parts);
    }

    private static int Promote(ref byte[] hll, int index, int count)
    {
        if (!TryToDense(hll, out var dense))
        {
            return -1;
        }

        HllDense.Raise(dense.AsSpan(HllFormat.HeaderSize), index, count);
        hll = dense;
        return 1;
    }

    /// <summary>
    /// Merges adjacent VAL opcodes of equal value whose lengths fit one opcode, scanning at most five opcodes from
    /// <paramref name="previous"/> (or the first), as Redis does after each update. Returns the trimmed result.
    /// </summary>
    private static byte[] MergeAdjacent(byte[] buffer, int end, int previous)
    {
        var p = previous >= 0 ? previous : HllFormat.HeaderSize;
        var scan = 5;
        while (p < end && scan-- > 0)
        {
            if (!IsVal(buffer[p]))
            {
                p += IsXZero(buffer[p]) ? 2 : 1;
                continue;
            }

            if (p + 1 < end && IsVal(buffer[p + 1]) && ValValue(buffer[p]) == ValValue(buffer[p + 1]))
            {
                var length = ValLength(buffer[p]) + ValLength(buffer[p + 1]);
                if (length <= ValMaxLength)
                {
                    buffer[p + 1] = Val(ValValue(buffer[p]), length);
                    buffer.AsSpan(p + 1, end - p - 1).CopyTo(buffer.AsSpan(p));
                    end--;
                    continue;
                }
            }

            p++;
        }

        return buffer[..end];
    }

    private static int WriteZeros(Span<byte> target, int length)
    {
        if (length > ZeroMaxLength)
        {
            WriteXZero(target, length);
            return 2;
        }

        target[0] = (byte)(length - 1);
        return 1;
    }

    /// <summary>Registers covered by the opcode at <paramref name="p"/>; an XZERO cut off at the end reads its second byte as 0, as Redis reads the terminator.</summary>
    private static int RunLength(ReadOnlySpan<byte> hll, int p)
    {
        var op = hll[p];
        if (IsVal(op))
        {
            return ValLength(op);
        }

        if (!IsXZero(op))
        {
            return (op & 0x3F) + 1;
        }

        var low = p + 1 < hll.Length ? hll[p + 1] : 0;
        return (((op & 0x3F) << 8) | low) + 1;
    }

    private static bool IsVal(byte op) => (op & 0x80) != 0;

    private static bool IsXZero(byte op) => (op & 0xC0) == 0x40;

    private static int ValValue(byte op) => ((op >> 2) & 0x1F) + 1;

    private static int ValLength(byte op) => (op & 0x3) + 1;

    private static byte Val(int value, int length) => (byte)(0x80 | ((value - 1) << 2) | (length - 1));
}
