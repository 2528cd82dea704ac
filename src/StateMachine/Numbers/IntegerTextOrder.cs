namespace RaftKV.StateMachine.Numbers;

/// <summary>
/// Orders integers as the ordinal order of their decimal text (<see cref="RedisIntegers.Format(long)"/>): "-1" &lt;
/// "-10" &lt; "-2" &lt; "0" &lt; "10" &lt; "9". Lets an intset be written in canonical order without formatting every member
/// into an array first. A minus sign sorts before every digit; two magnitudes compare as their digit strings do.
/// </summary>
internal sealed class IntegerTextOrder : IComparer<long>
{
    public static readonly IntegerTextOrder Instance = new();

    /// <summary>The order as a cached delegate, for span sorts (sorting with an IComparer allocates a delegate per call).</summary>
    public static readonly Comparison<long> Comparison = Instance.Compare;

    private IntegerTextOrder()
    {
    }

    public int Compare(long x, long y)
    {
        if ((x < 0) != (y < 0))
        {
            return x < 0 ? -1 : 1;
        }

        return CompareDigits(Magnitude(x), Magnitude(y));
    }

    // long.MinValue's magnitude does not fit a long; it does fit a ulong.
    private static ulong Magnitude(long value) => value < 0 ? (ulong)(-(value + 1)) + 1 : (ulong)value;

    // Digit strings compare as the numbers do when they are as long; otherwise the shorter one, padded with zeros to the
    // longer one's length, compares as the number it then is, and loses a tie (a prefix sorts first).
    private static int CompareDigits(ulong x, ulong y)
    {
        var xDigits = DigitCount(x);
        var yDigits = DigitCount(y);
        if (xDigits == yDigits)
        {
            return x.CompareTo(y);
        }

        if (xDigits < yDigits)
        {
            var padded = x * PowerOfTen(yDigits - xDigits);
            return padded <= y ? -1 : 1;
        }

        var paddedY = y * PowerOfTen(xDigits - yDigits);
        return x < paddedY ? -1 : 1;
    }

    private static int DigitCount(ulong value)
    {
        var digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }

    private static UInt128 PowerOfTen(int exponent)
    {
        UInt128 power = 1;
        for (var i = 0; i < exponent; i++)
        {
            power *= 10;
        }

        return power;
    }
}
