namespace RaftKV.StateMachine.HyperLogLog;

/// <summary>The estimated cardinality of a whole HLL string, dense or sparse.</summary>
internal static class HllCounting
{
    /// <summary>The estimate, or null when the sparse opcodes do not cover exactly 16384 registers.</summary>
    public static ulong? Count(ReadOnlySpan<byte> hll)
    {
        Span<int> histogram = stackalloc int[64];
        if (HllFormat.IsSparse(hll))
        {
            if (!HllSparse.Histogram(hll, histogram))
            {
                return null;
            }
        }
        else
        {
            HllDense.Histogram(hll[HllFormat.HeaderSize..], histogram);
        }

        return HllEstimator.Estimate(histogram);
    }
}
