namespace RaftKV.StateMachine.HyperLogLog;

/// <summary>
/// PFSELFTEST: checks this HLL implementation as Redis's command checks its own. Dense registers keep the values set
/// (neighbours untouched); then 10 million distinct elements go into a dense and a sparse HLL, and at each power of ten
/// the sparse one must still be sparse while small, both must estimate the same count, and the error must stay under
/// six standard errors. Touches no keyspace; CPU-bound for a few seconds, so the node runs it off the applier.
/// </summary>
public static class HyperLogLogSelfTest
{
    /// <summary>Null when every check passes, otherwise the error reply text (TESTFAILED ...).</summary>
    public static string? Run(ulong seed, int sparseMaxBytes = HllFormat.DefaultSparseMaxBytes)
    {
        var random = new Random(unchecked((int)seed));
        var dense = new byte[HllFormat.DenseSize];
        var registers = dense.AsSpan(HllFormat.HeaderSize);
        var expected = new byte[HllFormat.Registers];
        for (var cycle = 0; cycle < 1000; cycle++)
        {
            for (var i = 0; i < HllFormat.Registers; i++)
            {
                expected[i] = (byte)random.Next(HllFormat.RegisterMax + 1);
                HllDense.Set(registers, i, expected[i]);
            }

            for (var i = 0; i < HllFormat.Registers; i++)
            {
                var actual = HllDense.Get(registers, i);
                if (actual != expected[i])
                {
                    return FormattableString.Invariant($"TESTFAILED Register {i} should be {expected[i]} but is {actual}");
                }
            }
        }

        registers.Clear();
        HllFormat.SetEncoding(dense, HllFormat.Dense);
        var sparse = HllFormat.CreateEmpty();
        var relativeError = 1.04 / Math.Sqrt(HllFormat.Registers);
        long checkpoint = 1;
        Span<byte> element = stackalloc byte[8];
        for (ulong j = 1; j <= 10_000_000; j++)
        {
            BitConverter.TryWriteBytes(element, j ^ seed);
            var (index, count) = HllFormat.Locate(element);
            HllDense.Raise(registers, index, count);
            if (HllFormat.IsSparse(sparse))
            {
                HllSparse.Set(ref sparse, index, count, sparseMaxBytes);
            }
            else
            {
                HllDense.Raise(sparse.AsSpan(HllFormat.HeaderSize), index, count);
            }

            if ((long)j != checkpoint)
            {
                continue;
            }

            if (checkpoint < sparseMaxBytes / 2 && !HllFormat.IsSparse(sparse))
            {
                return "TESTFAILED sparse encoding not used";
            }

            var denseCount = HllCounting.Count(dense) ?? 0;
            if (denseCount != HllCounting.Count(sparse))
            {
                return "TESTFAILED dense/sparse disagree";
            }

            var error = Math.Abs(checkpoint - (long)denseCount);
            var maxError = j == 10 ? 1 : (long)Math.Ceiling(relativeError * 6 * checkpoint);
            if (error > maxError)
            {
                return FormattableString.Invariant($"TESTFAILED Too big error. card:{checkpoint} abserr:{error}");
            }

            checkpoint *= 10;
        }

        return null;
    }
}
