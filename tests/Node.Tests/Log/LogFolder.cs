using Microsoft.Extensions.Logging;
using RaftKV.Node.Log;

namespace RaftKV.Node.Tests.Log;

/// <summary>A temporary folder for a log, deleted at the end, and helpers that write recognisable records.</summary>
internal sealed class LogFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("raftkv-log-").FullName;

    /// <summary>The payload of the record at <paramref name="index"/>: its length and bytes follow from the index alone.</summary>
    public static byte[] Payload(long index)
    {
        var bytes = new byte[(int)(index * 37 % 301)];
        for (var i = 0; i < bytes.Length; i++)
            bytes[i] = (byte)(index * 31 + i);
        return bytes;
    }

    /// <param name="recentBytes">The latest appends kept in memory (<see cref="SegmentedLogOptions.RecentBytes"/>); null for the default.</param>
    /// <param name="zeroAheadBytes">Zeros written ahead of the tail (<see cref="SegmentedLogOptions.ZeroAheadBytes"/>); null for the default.</param>
    public SegmentedLog Open(long segmentBytes = 4096, ILogger? logger = null, Action<string>? beforeSegmentDeleted = null, long? recentBytes = null,
        long? zeroAheadBytes = null)
    {
        var options = new SegmentedLogOptions { SegmentBytes = segmentBytes, BeforeSegmentDeleted = beforeSegmentDeleted };
        if (zeroAheadBytes is { } ahead)
            options = options with { ZeroAheadBytes = ahead };
        return SegmentedLog.Open(Path, recentBytes is { } recent ? options with { RecentBytes = recent } : options, logger);
    }

    /// <summary>
    /// Where the records of a segment file end, as far as its last non-zero byte tells (the file is longer, preallocated
    /// with zeros): short of the zero bytes a last record may end with.
    /// </summary>
    public static long DataEnd(string segment)
    {
        var bytes = File.ReadAllBytes(segment);
        return Array.FindLastIndex(bytes, b => b != 0) + 1;
    }

    /// <summary>Appends <paramref name="count"/> records in one batch, each with <see cref="Payload"/> of its index.</summary>
    public static void AppendBatch(SegmentedLog log, int count, long term)
    {
        var batch = log.NewBatch();
        for (var i = 0; i < count; i++)
        {
            var index = batch.FirstIndex + i;
            batch.Add(term, Payload(index), isConfiguration: index % 10 == 0, commandId: index % 7 == 0 ? (int)index : null);
        }

        log.Append(batch);
    }

    /// <summary>Writes <paramref name="batches"/> appends of <paramref name="perBatch"/> records in term 1 to a new log and closes it.</summary>
    public void Write(int batches, int perBatch, long segmentBytes)
    {
        using var log = Open(segmentBytes);
        for (var i = 0; i < batches; i++)
            AppendBatch(log, perBatch, term: 1);
    }

    /// <summary>Checks that <paramref name="records"/> are consecutive from <paramref name="first"/>, each with its own payload.</summary>
    public static void AssertRecords(IReadOnlyList<LogRecord> records, long first)
    {
        for (var i = 0; i < records.Count; i++)
        {
            var index = first + i;
            Assert.Equal(index, records[i].Index);
            Assert.Equal(Payload(index), records[i].Payload.ToArray());
            Assert.Equal(index % 10 == 0, records[i].IsConfiguration);
            Assert.Equal(index % 7 == 0 ? (int)index : null, records[i].CommandId);
        }
    }

    public string[] Segments() => Directory.GetFiles(Path, "*.seg").Order(StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
