namespace RaftKV.Protocol.Resp;

/// <summary>
/// Splits an inline request line into arguments with the rules of Redis's sdssplitargs: blanks separate
/// arguments; "double quotes" understand \n \r \t \b \a \xHH and backslash-anything; 'single quotes'
/// understand only \'; a closing quote must be followed by a blank or the end of the line; the line ends at
/// its first NUL byte (sdssplitargs walks a C string).
/// </summary>
public static class InlineArgumentSplitter
{
    /// <summary>Returns the arguments (possibly none), or null when quotes are unbalanced.</summary>
    public static List<byte[]>? Split(ReadOnlySpan<byte> line)
    {
        int nul = line.IndexOf((byte)0);
        if (nul >= 0)
        {
            line = line[..nul];
        }

        var result = new List<byte[]>();
        if (line.IsEmpty)
        {
            return result;
        }

        byte[] scratch = new byte[line.Length];
        int p = 0;
        while (true)
        {
            while (p < line.Length && IsSpace(line[p]))
            {
                p++;
            }

            if (p >= line.Length)
            {
                return result;
            }

            bool inDoubleQuotes = false;
            bool inSingleQuotes = false;
            bool done = false;
            int n = 0;
            while (!done)
            {
                byte c = At(line, p);
                if (inDoubleQuotes)
                {
                    if (c == (byte)'\\' && At(line, p + 1) == (byte)'x' && IsHex(At(line, p + 2)) && IsHex(At(line, p + 3)))
                    {
                        scratch[n++] = (byte)((HexValue(At(line, p + 2)) * 16) + HexValue(At(line, p + 3)));
                        p += 3;
                    }
                    else if (c == (byte)'\\' && At(line, p + 1) != 0)
                    {
                        p++;
                        scratch[n++] = At(line, p) switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            var other => other,
                        };
                    }
                    else if (c == (byte)'"')
                    {
                        if (At(line, p + 1) != 0 && !IsSpace(At(line, p + 1)))
                        {
                            return null;
                        }

                        done = true;
                    }
                    else if (c == 0)
                    {
                        return null;
                    }
                    else
                    {
                        scratch[n++] = c;
                    }
                }
                else if (inSingleQuotes)
                {
                    if (c == (byte)'\\' && At(line, p + 1) == (byte)'\'')
                    {
                        p++;
                        scratch[n++] = (byte)'\'';
                    }
                    else if (c == (byte)'\'')
                    {
                        if (At(line, p + 1) != 0 && !IsSpace(At(line, p + 1)))
                        {
                            return null;
                        }

                        done = true;
                    }
                    else if (c == 0)
                    {
                        return null;
                    }
                    else
                    {
                        scratch[n++] = c;
                    }
                }
                else
                {
                    switch (c)
                    {
                        case (byte)' ':
                        case (byte)'\n':
                        case (byte)'\r':
                        case (byte)'\t':
                        case 0:
                            done = true;
                            break;
                        case (byte)'"':
                            inDoubleQuotes = true;
                            break;
                        case (byte)'\'':
                            inSingleQuotes = true;
                            break;
                        default:
                            scratch[n++] = c;
                            break;
                    }
                }

                if (At(line, p) != 0)
                {
                    p++;
                }
            }

            result.Add(scratch.AsSpan(0, n).ToArray());
        }
    }

    /// <summary>The byte at <paramref name="index"/>, or 0 past the end, mirroring the C string's terminator.</summary>
    private static byte At(ReadOnlySpan<byte> line, int index) => index < line.Length ? line[index] : (byte)0;

    /// <summary>C's isspace in the "C" locale.</summary>
    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    private static bool IsHex(byte c) => char.IsAsciiHexDigit((char)c);

    private static int HexValue(byte c) => c <= (byte)'9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
