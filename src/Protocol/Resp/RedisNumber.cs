using System.Globalization;

namespace RaftKV.Protocol.Resp;

/// <summary>
/// Number parsing and formatting with Redis's exact rules, so replies and stored values are byte-for-byte
/// what Redis produces and every replica formats the same value the same way (no culture, no platform libc).
/// </summary>
public static class RedisNumber
{
    /// <summary>
    /// Formats like Redis 7.0's addReplyDouble: <c>inf</c>, <c>-inf</c>, <c>nan</c>, otherwise C's <c>%.17g</c>
    /// (1.1 -> <c>1.1000000000000001</c>, 3 -> <c>3</c>, 1e20 -> <c>1e+20</c>, 1e-5 -> <c>1.0000000000000001e-05</c>).
    /// </summary>
    public static string FormatDouble(double value)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        // "E16" yields 17 correctly rounded significant digits and the exponent after rounding,
        // which is exactly the input %g needs: d.dddddddddddddddde+XXX.
        string e = value.ToString("E16", CultureInfo.InvariantCulture);
        bool negative = e[0] == '-';
        int start = negative ? 1 : 0;
        int ePos = e.IndexOf('E', StringComparison.Ordinal);
        string digits = string.Concat(e.AsSpan(start, 1), e.AsSpan(start + 2, ePos - start - 2));
        int exponent = int.Parse(e.AsSpan(ePos + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

        const int precision = 17;
        var sb = new System.Text.StringBuilder(32);
        if (negative)
        {
            sb.Append('-');
        }

        if (exponent < -4 || exponent >= precision)
        {
            string mantissa = TrimFraction(digits[..1] + "." + digits[1..]);
            sb.Append(mantissa).Append('e').Append(exponent < 0 ? '-' : '+');
            int abs = Math.Abs(exponent);
            if (abs < 10)
            {
                sb.Append('0');
            }

            sb.Append(abs.ToString(CultureInfo.InvariantCulture));
        }
        else if (exponent >= 0)
        {
            sb.Append(TrimFraction(digits[..(exponent + 1)] + "." + digits[(exponent + 1)..]));
        }
        else
        {
            sb.Append(TrimFraction("0." + new string('0', -exponent - 1) + digits));
        }

        return sb.ToString();
    }

    private static string TrimFraction(string number)
    {
        int dot = number.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            return number;
        }

        int end = number.Length;
        while (end > dot + 1 && number[end - 1] == '0')
        {
            end--;
        }

        if (end == dot + 1)
        {
            end = dot;
        }

        return number[..end];
    }

    /// <summary>A signed 64-bit integer as Redis's ll2string writes it (ASCII digits, '-' when negative).</summary>
    public static byte[] FormatLong(long value)
    {
        Span<byte> buffer = stackalloc byte[20];
        value.TryFormat(buffer, out var written, default, CultureInfo.InvariantCulture);
        return buffer[..written].ToArray();
    }

    /// <summary>
    /// Parses a signed 64-bit integer with Redis's string2ll strictness: optional '-', no '+', no spaces,
    /// no leading zeros (except "0" itself), "-0" rejected, overflow rejected, empty rejected.
    /// </summary>
    public static bool TryParseLong(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20)
        {
            return false;
        }

        if (text.Length == 1 && text[0] == (byte)'0')
        {
            return true;
        }

        int i = 0;
        bool negative = false;
        if (text[0] == (byte)'-')
        {
            negative = true;
            i = 1;
            if (text.Length == 1)
            {
                return false;
            }
        }

        if (text[i] < (byte)'1' || text[i] > (byte)'9')
        {
            return false;
        }

        // Accumulate as a negative number: its range includes long.MinValue.
        long acc = 0;
        for (; i < text.Length; i++)
        {
            int digit = text[i] - (byte)'0';
            if ((uint)digit > 9)
            {
                return false;
            }

            if (acc < (long.MinValue + digit) / 10)
            {
                return false;
            }

            acc = (acc * 10) - digit;
        }

        if (negative)
        {
            value = acc;
            return true;
        }

        if (acc == long.MinValue)
        {
            return false;
        }

        value = -acc;
        return true;
    }

    /// <summary>
    /// Parses a float the way Redis's strtold-based parsing accepts it (INCRBYFLOAT, scores): decimal with
    /// optional sign, fraction and exponent, or <c>inf</c>/<c>infinity</c> in any case with an optional sign.
    /// Rejects <c>nan</c>, leading or trailing spaces, empty input, overflow to infinity and underflow of a
    /// non-zero mantissa to zero (strtold's ERANGE). Hexadecimal floats are not accepted.
    /// </summary>
    public static bool TryParseDouble(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        if (text.IsEmpty || text.Length >= 5 * 1024)
        {
            return false;
        }

        int i = 0;
        bool negative = false;
        if (text[0] is (byte)'+' or (byte)'-')
        {
            negative = text[0] == (byte)'-';
            i = 1;
        }

        ReadOnlySpan<byte> rest = text[i..];
        if (AsciiEqualsIgnoreCase(rest, "inf"u8) || AsciiEqualsIgnoreCase(rest, "infinity"u8))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }

        bool anyDigit = false;
        bool nonZeroDigit = false;
        while (i < text.Length && IsDigit(text[i]))
        {
            anyDigit = true;
            nonZeroDigit |= text[i] != (byte)'0';
            i++;
        }

        if (i < text.Length && text[i] == (byte)'.')
        {
            i++;
            while (i < text.Length && IsDigit(text[i]))
            {
                anyDigit = true;
                nonZeroDigit |= text[i] != (byte)'0';
                i++;
            }
        }

        if (!anyDigit)
        {
            return false;
        }

        if (i < text.Length && (text[i] | 0x20) == (byte)'e')
        {
            int j = i + 1;
            if (j < text.Length && text[j] is (byte)'+' or (byte)'-')
            {
                j++;
            }

            // strtold treats an exponent without digits as the end of the number ("1e" parses "1" and
            // leaves "e"), which Redis then rejects as trailing garbage.
            if (j >= text.Length || !IsDigit(text[j]))
            {
                return false;
            }

            while (j < text.Length && IsDigit(text[j]))
            {
                j++;
            }

            i = j;
        }

        if (i != text.Length)
        {
            return false;
        }

        // Validated ASCII; the invariant parser never sees spaces, thousands separators or currency.
        Span<char> chars = text.Length <= 256 ? stackalloc char[text.Length] : new char[text.Length];
        for (int k = 0; k < text.Length; k++)
        {
            chars[k] = (char)text[k];
        }

        if (!double.TryParse(chars, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed))
        {
            return false;
        }

        if (double.IsInfinity(parsed) || (parsed == 0 && nonZeroDigit))
        {
            return false;
        }

        value = parsed;
        return true;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool AsciiEqualsIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowerCase)
    {
        if (text.Length != lowerCase.Length)
        {
            return false;
        }

        for (int i = 0; i < text.Length; i++)
        {
            if ((text[i] | 0x20) != lowerCase[i])
            {
                return false;
            }
        }

        return true;
    }
}
