using System.Globalization;

namespace RaftKV.StateMachine.Numbers;

/// <summary>Integer parsing and formatting exactly as Redis's <c>string2ll</c> / <c>ll2string</c> do it.</summary>
internal static class RedisIntegers
{
    /// <summary>
    /// Strict: optional '-', no '+', no spaces, no leading zeros ("0" alone is fine, "-0" is not),
    /// at most 20 characters, within the range of a long.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.Length == 0 || text.Length > 20)
        {
            return false;
        }

        if (text.Length == 1 && text[0] == (byte)'0')
        {
            return true;
        }

        var negative = text[0] == (byte)'-';
        var digits = negative ? text[1..] : text;
        if (digits.Length == 0 || digits[0] < (byte)'1' || digits[0] > (byte)'9')
        {
            return false;
        }

        ulong magnitude = 0;
        foreach (var c in digits)
        {
            if (c < (byte)'0' || c > (byte)'9')
            {
                return false;
            }

            var digit = (ulong)(c - '0');
            if (magnitude > (ulong.MaxValue - digit) / 10)
            {
                return false;
            }

            magnitude = (magnitude * 10) + digit;
        }

        if (negative)
        {
            if (magnitude > (ulong)long.MaxValue + 1)
            {
                return false;
            }

            value = unchecked(-(long)magnitude);
            return true;
        }

        if (magnitude > long.MaxValue)
        {
            return false;
        }

        value = (long)magnitude;
        return true;
    }

    public static byte[] Format(long value)
    {
        Span<byte> buffer = stackalloc byte[20];
        value.TryFormat(buffer, out var written, default, CultureInfo.InvariantCulture);
        return buffer[..written].ToArray();
    }

    public static byte[] Format(ulong value)
    {
        Span<byte> buffer = stackalloc byte[20];
        value.TryFormat(buffer, out var written, default, CultureInfo.InvariantCulture);
        return buffer[..written].ToArray();
    }

    /// <summary>A SCAN cursor: an unsigned 64-bit decimal, as <c>strtoul</c> reads it without leading spaces.</summary>
    public static bool TryParseCursor(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        var negative = false;
        if (text.Length > 0 && (text[0] == (byte)'+' || text[0] == (byte)'-'))
        {
            negative = text[0] == (byte)'-';
            text = text[1..];
        }

        if (text.Length == 0)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c < (byte)'0' || c > (byte)'9')
            {
                return false;
            }

            var digit = (ulong)(c - '0');
            if (value > (ulong.MaxValue - digit) / 10)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        // strtoul negates in unsigned arithmetic: "-1" is the largest cursor.
        value = negative ? unchecked(0 - value) : value;
        return true;
    }
}
