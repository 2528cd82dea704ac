namespace RaftKV.StateMachine.Commands;

/// <summary>Redis's index arithmetic for LRANGE, ZRANGE, LTRIM and friends.</summary>
internal static class Ranges
{
    /// <summary>
    /// Resolves <paramref name="start"/>..<paramref name="end"/> (negative counts from the end) against a
    /// collection of <paramref name="length"/> elements; false when the range is empty.
    /// </summary>
    public static bool TryResolve(long start, long end, long length, out int first, out int last)
    {
        if (start < 0)
        {
            start += length;
        }

        if (end < 0)
        {
            end += length;
        }

        if (start < 0)
        {
            start = 0;
        }

        first = 0;
        last = -1;
        if (start > end || start >= length)
        {
            return false;
        }

        if (end >= length)
        {
            end = length - 1;
        }

        first = (int)start;
        last = (int)end;
        return true;
    }
}
