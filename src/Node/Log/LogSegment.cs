using Microsoft.Win32.SafeHandles;

namespace RaftKV.Node.Log;

/// <summary>
/// One segment file: its first index, its open handle and the file offset of each record in it. Owned by
/// <see cref="SegmentedLog"/>, which guards it with its locks.
/// </summary>
internal sealed class LogSegment(string path, long firstIndex, SafeFileHandle handle, long end) : IDisposable
{
    private readonly List<long> _offsets = [];

    public string Path { get; } = path;

    public long FirstIndex { get; } = firstIndex;

    public SafeFileHandle Handle { get; } = handle;

    /// <summary>Bytes of the file that hold the header and whole records; the next record goes here.</summary>
    public long End { get; private set; } = end;

    public int Count => _offsets.Count;

    /// <summary>
    /// Where the file's blocks written with zeros ahead of <see cref="End"/> end (<see cref="SegmentedLogOptions.ZeroAheadBytes"/>);
    /// at most <see cref="End"/> when none are. Only known for this handle's lifetime: 0 after a cut and when reopened.
    /// </summary>
    public long ZeroedTo { get; set; }

    public long LastIndex => FirstIndex + _offsets.Count - 1;

    public static string NameOf(long firstIndex) => $"{firstIndex:D20}.seg";

    public static bool TryParseName(string fileName, out long firstIndex)
    {
        firstIndex = 0;
        return fileName.Length == 24 && fileName.EndsWith(".seg", StringComparison.Ordinal)
               && long.TryParse(fileName.AsSpan(0, 20), System.Globalization.NumberStyles.None, null, out firstIndex) && firstIndex >= 1;
    }

    public long OffsetOf(long index) => _offsets[checked((int)(index - FirstIndex))];

    /// <summary>Where the record at <paramref name="index"/> ends.</summary>
    public long EndOf(long index) => index == LastIndex ? End : _offsets[checked((int)(index - FirstIndex)) + 1];

    /// <summary>Adds the records of an append written at <paramref name="baseOffset"/>, which ended at <paramref name="end"/>.</summary>
    public void Added(long baseOffset, IReadOnlyList<long> relativeOffsets, long end)
    {
        foreach (var offset in relativeOffsets)
            _offsets.Add(baseOffset + offset);
        End = end;
    }

    /// <summary>A record found by recovery at <paramref name="offset"/>, ending at <paramref name="end"/>.</summary>
    public void Recovered(long offset, long end)
    {
        _offsets.Add(offset);
        End = end;
    }

    /// <summary>Forgets the records from <paramref name="index"/> on; the file is cut by the caller.</summary>
    public void TruncateFrom(long index)
    {
        var keep = checked((int)(index - FirstIndex));
        End = keep < _offsets.Count ? _offsets[keep] : End;
        _offsets.RemoveRange(keep, _offsets.Count - keep);
    }

    public void Dispose() => Handle.Dispose();
}
