using System.Globalization;
using System.Numerics;
using System.Text;

namespace RaftKV.StateMachine.Geo;

/// <summary>
/// The number formats of Redis's geo replies: distances with four decimals (fixedpoint_d2string), coordinates with
/// seventeen decimals and trailing zeros trimmed (ld2string's human mode), and C's <c>%f</c> for error messages. Each
/// works on the double's exact binary value, rounding half to even as glibc's printf and llrint do.
/// </summary>
internal static class GeoText
{
    private const double TwoTo63 = 9223372036854775808.0;

    /// <summary>A distance with four decimals: the value times 10^4 rounded to an integer, the point put back in.</summary>
    public static string Distance(double value)
    {
        if (value == 0)
        {
            return "0.0000";
        }

        // llrint: round half to even; a NaN or out-of-range value gives x86's LLONG_MIN.
        var scaled = Math.Round(value * 10000.0, MidpointRounding.ToEven);
        var integer = scaled >= -TwoTo63 && scaled < TwoTo63 ? (long)scaled : long.MinValue;
        var negative = integer < 0;
        var magnitude = negative ? (ulong)(-(integer + 1)) + 1 : (ulong)integer;
        var digits = magnitude.ToString(CultureInfo.InvariantCulture).PadLeft(5, '0');
        return (negative ? "-" : string.Empty) + digits[..^4] + "." + digits[^4..];
    }

    /// <summary>A coordinate as Redis replies it: <c>%.17f</c> with trailing zeros and a bare point removed, "-0" as "0".</summary>
    public static string Coordinate(double value)
    {
        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        var text = Fixed(value, 17);
        var end = text.Length;
        while (text[end - 1] == '0')
        {
            end--;
        }

        if (text[end - 1] == '.')
        {
            end--;
        }

        text = text[..end];
        return text == "-0" ? "0" : text;
    }

    /// <summary>C's <c>%f</c>: six decimals, <c>inf</c>/<c>-inf</c>/<c>nan</c> spelled as glibc spells them.</summary>
    public static string PrintfF(double value) =>
        double.IsNaN(value) ? (double.IsNegative(value) ? "-nan" : "nan")
        : double.IsInfinity(value) ? (value > 0 ? "inf" : "-inf")
        : Fixed(value, 6);

    /// <summary>The exact value of a finite double rounded half to even to <paramref name="decimals"/> places; keeps the sign of -0.</summary>
    public static string Fixed(double value, int decimals)
    {
        var bits = BitConverter.DoubleToInt64Bits(value);
        var negative = bits < 0;
        var exponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (exponent == 0)
        {
            exponent = 1;
        }
        else
        {
            mantissa |= 1L << 52;
        }

        // |value| = mantissa * 2^(exponent - 1075); scaled = |value| * 10^decimals, rounded.
        var power = exponent - 1075;
        var numerator = new BigInteger(mantissa) * BigInteger.Pow(10, decimals);
        BigInteger scaled;
        if (power >= 0)
        {
            scaled = numerator << power;
        }
        else
        {
            var denominator = BigInteger.One << -power;
            scaled = BigInteger.DivRem(numerator, denominator, out var remainder);
            var twice = remainder * 2;
            if (twice > denominator || (twice == denominator && !scaled.IsEven))
            {
                scaled += 1;
            }
        }

        var digits = scaled.ToString(CultureInfo.InvariantCulture).PadLeft(decimals + 1, '0');
        var text = new StringBuilder(digits.Length + 2);
        if (negative)
        {
            text.Append('-');
        }

        text.Append(digits, 0, digits.Length - decimals).Append('.').Append(digits, digits.Length - decimals, decimals);
        return text.ToString();
    }
}
