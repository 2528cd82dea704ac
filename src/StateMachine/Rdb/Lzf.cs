namespace RaftKV.StateMachine.Rdb;

/// <summary>
/// LZF decompression (liblzf's format, which RDB uses for strings longer than 20 bytes): a control byte below 32 starts
/// a run of that many plus one literal bytes; otherwise its top 3 bits are a match length minus 2 (7 = a length byte
/// follows) and its low 5 bits with the next byte an offset back into the output minus 1.
/// </summary>
internal static class Lzf
{
    /// <summary>A back reference of 3 input bytes yields at most 264 output bytes: no valid input expands more.</summary>
    private const int MaxExpansion = 88;

    /// <summary>The decompressed bytes, or null when the input is not LZF data of exactly <paramref name="length"/> bytes.</summary>
    public static byte[]? Decompress(ReadOnlySpan<byte> input, ulong length)
    {
        if (length > (ulong)input.Length * MaxExpansion + 64 || length > Commands.StringCommands.MaxStringLength)
            return null;
        var output = new byte[length];
        var written = 0;
        var position = 0;
        while (position < input.Length)
        {
            int control = input[position++];
            if (control < 32)
            {
                var run = control + 1;
                if (position + run > input.Length || written + run > output.Length)
                    return null;
                input.Slice(position, run).CopyTo(output.AsSpan(written));
                position += run;
                written += run;
                continue;
            }

            var match = control >> 5;
            if (match == 7)
            {
                if (position >= input.Length)
                    return null;
                match += input[position++];
            }

            if (position >= input.Length)
                return null;
            var back = ((control & 0x1F) << 8) + input[position++] + 1;
            match += 2;
            if (back > written || written + match > output.Length)
                return null;

            // Byte by byte: a match may overlap the bytes it is producing (a run of one repeated pattern).
            for (var i = 0; i < match; i++, written++)
                output[written] = output[written - back];
        }

        return written == output.Length ? output : null;
    }
}
