namespace RaftKV.StateMachine.HyperLogLog;

/// <summary>
/// The cardinality estimate Redis 7.0 computes from a register histogram: Otmar Ertl's improved raw estimator
/// ("New cardinality estimation algorithms for HyperLogLog sketches", arXiv:1702.01284), rounded half away from zero.
/// Pure double arithmetic (IEEE, no library transcendental beyond sqrt), so every node gives the same number.
/// </summary>
internal static class HllEstimator
{
    private const double AlphaInfinity = 0.721347520444481703680;

    /// <param name="histogram">64 counters: how many registers hold each value.</param>
    public static ulong Estimate(ReadOnlySpan<int> histogram)
    {
        const double m = HllFormat.Registers;
        const int q = 64 - HllFormat.P;
        var z = m * Tau((m - histogram[q + 1]) / m);
        for (var j = q; j >= 1; j--)
        {
            z += histogram[j];
            z *= 0.5;
        }

        z += m * Sigma(histogram[0] / m);
        return (ulong)Math.Round(AlphaInfinity * m * m / z, MidpointRounding.AwayFromZero);
    }

    private static double Sigma(double x)
    {
        if (x == 1.0)
        {
            return double.PositiveInfinity;
        }

        double previous;
        var y = 1.0;
        var z = x;
        do
        {
            x *= x;
            previous = z;
            z += x * y;
            y += y;
        }
        while (previous != z);
        return z;
    }

    private static double Tau(double x)
    {
        if (x == 0.0 || x == 1.0)
        {
            return 0.0;
        }

        double previous;
        var y = 1.0;
        var z = 1 - x;
        do
        {
            x = Math.Sqrt(x);
            previous = z;
            y *= 0.5;
            z -= (1 - x) * (1 - x) * y;
        }
        while (previous != z);
        return z / 3;
    }
}
