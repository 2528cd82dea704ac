using System.Globalization;
using System.Numerics;
using System.Text;

namespace RaftKV.StateMachine.Numbers;

/// <summary>
/// A decimal number held exactly (<c>Mantissa * 10^Exponent</c>) or an infinity, for INCRBYFLOAT.
/// Redis adds two C long doubles and prints the sum with <c>%.17Lf</c>, trimming trailing zeros
/// (<c>ld2string</c>, LD_STR_HUMAN). Exact decimal arithmetic printed the same way gives Redis's text
/// for the values people type ("10.5" + "0.1" = "10.6", "5.0e3" + "2" = "5002"), and is the same on
/// every platform, which a binary long double is not. It differs from Redis only where Redis shows
/// binary rounding noise in the 17th decimal of large numbers.
/// </summary>
internal readonly struct ExactDecimal
{
    // Roughly the exponent range of an x87 long double (LDBL_MAX ~ 1.19e4932, smallest subnormal ~ 3.6e-4951).
    private const int MaxDecimalExponent = 4932;
    private const int MinDecimalExponent = -4951;
    private const int MaxTextLength = (5 * 1024) - 1;
    private const int PrintedDecimals = 17;

    private ExactDecimal(BigInteger mantissa, int exponent, int infinity)
    {
        Mantissa = mantissa;
        Exponent = exponent;
        Infinity = infinity;
    }

    public BigInteger Mantissa { get; }

    public int Exponent { get; }

    /// <summary>0 for a finite number, +1 or -1 for an infinity.</summary>
    public int Infinity { get; }

    /// <summary>False for infinities, NaN-producing sums, and sums beyond the long double range.</summary>
    public bool IsFinite => Infinity == 0 && AdjustedExponent <= MaxDecimalExponent;

    private int AdjustedExponent => Mantissa.IsZero ? 0 : Exponent + DigitCount(BigInteger.Abs(Mantissa)) - 1;

    /// <summary>
    /// Reads a float as Redis's <c>string2ld</c> accepts it: no surrounding spaces, optional sign, decimal
    /// digits with an optional point and exponent, or inf/infinity. NaN and out-of-range values are refused.
    /// (Hexadecimal floats, which strtold also reads, are refused.)
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out ExactDecimal value)
    {
        value = default;
        if (text.Length == 0 || text.Length > MaxTextLength)
        {
            return false;
        }

        var i = 0;
        var negative = false;
        if (text[0] == (byte)'+' || text[0] == (byte)'-')
        {
            negative = text[0] == (byte)'-';
            i++;
        }

        var rest = text[i..];
        if (IsWord(rest, "inf"u8) || IsWord(rest, "infinity"u8))
        {
            value = new ExactDecimal(BigInteger.Zero, 0, negative ? -1 : 1);
            return true;
        }

        var digits = new StringBuilder();
        var fractionDigits = 0;
        var sawPoint = false;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (c >= (byte)'0' && c <= (byte)'9')
            {
                digits.Append((char)c);
                fractionDigits += sawPoint ? 1 : 0;
            }
            else if (c == (byte)'.' && !sawPoint)
            {
                sawPoint = true;
            }
            else
            {
                break;
            }
        }

        if (digits.Length == 0)
        {
            return false;
        }

        long exponent = 0;
        if (i < text.Length)
        {
            if ((text[i] | 0x20) != (byte)'e' || !TryParseExponent(text[(i + 1)..], out exponent))
            {
                return false;
            }
        }

        var mantissa = BigInteger.Parse(digits.ToString(), NumberStyles.None, CultureInfo.InvariantCulture);
        var scale = mantissa.IsZero ? 0 : (int)Math.Clamp(exponent - fractionDigits, -100_000, 100_000);
        var result = new ExactDecimal(negative ? -mantissa : mantissa, scale, 0);
        if (!mantissa.IsZero && (result.AdjustedExponent > MaxDecimalExponent || result.AdjustedExponent < MinDecimalExponent))
        {
            return false;
        }

        value = result;
        return true;
    }

    public static ExactDecimal Add(ExactDecimal a, ExactDecimal b)
    {
        if (a.Infinity != 0 || b.Infinity != 0)
        {
            // inf + -inf is NaN; either way the sum is not finite, which is all INCRBYFLOAT asks.
            return new ExactDecimal(BigInteger.Zero, 0, a.Infinity != 0 ? a.Infinity : b.Infinity);
        }

        var exponent = Math.Min(a.Exponent, b.Exponent);
        var sum = (a.Mantissa * BigInteger.Pow(10, a.Exponent - exponent)) + (b.Mantissa * BigInteger.Pow(10, b.Exponent - exponent));
        return new ExactDecimal(sum, exponent, 0);
    }

    /// <summary>The value printed as <c>%.17Lf</c> with trailing zeros (and a bare point) removed; "-0" becomes "0".</summary>
    public byte[] Format()
    {
        BigInteger scaled;
        var shift = Exponent + PrintedDecimals;
        if (shift >= 0)
        {
            scaled = Mantissa * BigInteger.Pow(10, shift);
        }
        else
        {
            var divisor = BigInteger.Pow(10, -shift);
            scaled = BigInteger.DivRem(BigInteger.Abs(Mantissa), divisor, out var remainder);
            var twice = remainder * 2;
            if (twice > divisor || (twice == divisor && !scaled.IsEven))
            {
                scaled += 1;
            }

            scaled = Mantissa.Sign < 0 ? -scaled : scaled;
        }

        var negative = Mantissa.Sign < 0;
        var digits = BigInteger.Abs(scaled).ToString(CultureInfo.InvariantCulture).PadLeft(PrintedDecimals + 1, '0');
        var integerPart = digits[..^PrintedDecimals];
        var fraction = digits[^PrintedDecimals..].TrimEnd('0');
        var text = fraction.Length == 0 ? integerPart : integerPart + "." + fraction;
        if (negative && text != "0")
        {
            text = "-" + text;
        }

        return Encoding.ASCII.GetBytes(text);
    }

    private static bool IsWord(ReadOnlySpan<byte> text, ReadOnlySpan<byte> word) =>
        text.Length == word.Length && Ascii.EqualsIgnoreCase(text, word);

    private static bool TryParseExponent(ReadOnlySpan<byte> text, out long exponent)
    {
        exponent = 0;
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

            // Saturate: anything this large is out of range anyway.
            exponent = Math.Min((exponent * 10) + (c - '0'), 1_000_000_000);
        }

        exponent = negative ? -exponent : exponent;
        return true;
    }

    private static int DigitCount(BigInteger value) => value.IsZero ? 1 : value.ToString(CultureInfo.InvariantCulture).Length;
}
