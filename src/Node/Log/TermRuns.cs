namespace RaftKV.Node.Log;

/// <summary>
/// The term of every index of the log, as runs <c>(first index, term)</c>: terms change rarely, so a term lookup (every
/// AppendEntries checks one, every election two) costs a binary search in memory instead of a disk read.
/// </summary>
internal sealed class TermRuns
{
    private readonly List<(long First, long Term)> _runs = [];

    public int Count => _runs.Count;

    /// <summary>Records that <paramref name="index"/> (the next index after the last one recorded) has <paramref name="term"/>.</summary>
    public void Add(long index, long term)
    {
        if (_runs.Count == 0 || _runs[^1].Term != term)
            _runs.Add((index, term));
    }

    /// <summary>The term of <paramref name="index"/>, which the caller knows to be in the log.</summary>
    public long TermAt(long index)
    {
        int low = 0, high = _runs.Count - 1, found = -1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            if (_runs[middle].First <= index)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return found >= 0 ? _runs[found].Term : throw new ArgumentOutOfRangeException(nameof(index), $"No term known for index {index}");
    }

    /// <summary>Forgets indexes from <paramref name="index"/> on.</summary>
    public void TruncateFrom(long index)
    {
        var keep = _runs.Count;
        while (keep > 0 && _runs[keep - 1].First >= index)
            keep--;
        _runs.RemoveRange(keep, _runs.Count - keep);
    }

    /// <summary>Forgets runs that end before <paramref name="first"/>.</summary>
    public void DropBefore(long first)
    {
        var drop = 0;
        while (drop + 1 < _runs.Count && _runs[drop + 1].First <= first)
            drop++;
        _runs.RemoveRange(0, drop);
    }

    public void Clear() => _runs.Clear();
}
