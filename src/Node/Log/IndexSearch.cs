namespace RaftKV.Node.Log;

/// <summary>Binary search over runs of records kept in index order (segments, in-memory appends).</summary>
internal static class IndexSearch
{
    /// <summary>
    /// The position of the last item whose first index (<paramref name="firstIndex"/>) is at or before
    /// <paramref name="index"/>, among the items from position <paramref name="from"/>; the caller knows such an item exists.
    /// </summary>
    public static int Holding<T>(IReadOnlyList<T> items, long index, Func<T, long> firstIndex, int from = 0)
    {
        int low = from, high = items.Count - 1;
        while (low < high)
        {
            var middle = (low + high + 1) >>> 1;
            if (firstIndex(items[middle]) <= index)
                low = middle;
            else
                high = middle - 1;
        }

        return low;
    }
}
