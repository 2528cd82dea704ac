using RaftKV.Node.Log;

namespace RaftKV.Node.Tests.Log;

/// <summary>
/// Recovery of the segment storage after crashes and damage: a torn last append is cut off (it was never synced, so never
/// acknowledged), any other damage refuses to open rather than serve wrong data.
/// </summary>
public sealed class SegmentedLogRecoveryTests : IDisposable
{
    private readonly List<LogFolder> _folders = [];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TornTail_CutAtRandomPoints_RecoversToTheLastWholeRecord(int seed)
    {
        var random = new Random(seed);
        for (var trial = 0; trial < 12; trial++)
        {
            var folder = NewFolder();
            using (var log = folder.Open(segmentBytes: 4096))
            {
                var batches = random.Next(1, 12);
                for (var b = 0; b < batches; b++)
                    LogFolder.AppendBatch(log, random.Next(1, 9), term: 1 + b / 4);
            }

            var segment = folder.Segments()[^1];
            var first = FirstIndexOf(segment);
            // Cut inside what was written; the file itself is longer (preallocated zeros).
            var length = new FileInfo(segment).Length;
            var cut = random.NextInt64(0, LogFolder.DataEnd(segment));
            var zeroFill = random.Next(2) == 0;
            using (var file = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite))
            {
                file.SetLength(cut);
                if (zeroFill)
                    file.SetLength(length); // the size reached the disk, the data did not
            }

            var expected = first - 1;
            for (var end = (long)LogRecordFormat.SegmentHeaderSize; expected + 1 <= first + 1000; expected++)
            {
                end += LogRecordFormat.RecordHeaderSize + LogFolder.Payload(expected + 1).Length;
                if (end > cut)
                    break;
            }

            using (var recovered = folder.Open(segmentBytes: 4096))
            {
                Assert.True(expected == recovered.LastIndex, $"seed {seed}, trial {trial}: cut at {cut} of {length} (zero-fill {zeroFill}), expected {expected}, got {recovered.LastIndex}");
                if (!recovered.IsEmpty)
                    LogFolder.AssertRecords(recovered.Read(recovered.FirstIndex, recovered.LastIndex), recovered.FirstIndex);
                LogFolder.AppendBatch(recovered, 3, term: 9);
            }

            using var again = folder.Open(segmentBytes: 4096);
            Assert.Equal(expected + 3, again.LastIndex);
            LogFolder.AssertRecords(again.Read(again.FirstIndex, expected), again.FirstIndex);
            Assert.Equal(9, again.TermAt(expected + 3));
        }
    }

    [Fact]
    public void TornLastAppend_WhoseLaterRecordsReachedTheDisk_IsDroppedWhole()
    {
        var folder = NewFolder();
        folder.Write(batches: 2, perBatch: 5, segmentBytes: 1 << 20);

        // The first record of the last append never reached the disk; the sectors of the four after it did.
        FlipByte(folder.Segments()[0], OffsetOf(1, 6) + LogRecordFormat.RecordHeaderSize + 2);

        var logger = new CapturingLogger();
        using var recovered = folder.Open(segmentBytes: 1 << 20, logger);
        Assert.Equal(5, recovered.LastIndex);
        LogFolder.AssertRecords(recovered.Read(1, 5), 1);
        var warning = Assert.Single(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Contains("torn tail", warning.Message, StringComparison.Ordinal);
        Assert.Contains("from index 6", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PreallocatedSegment_ReopensAtItsLastRecord_WithoutATornTail_AndAfterATruncateHoldsNoDroppedRecord()
    {
        var folder = NewFolder();
        using (var log = folder.Open(segmentBytes: 1 << 16))
        {
            LogFolder.AppendBatch(log, 5, term: 1);
            LogFolder.AppendBatch(log, 5, term: 1);
        }

        // The file has its full length from the start; the records fill only its beginning.
        var segment = folder.Segments().Single();
        Assert.Equal(1 << 16, new FileInfo(segment).Length);
        Assert.True(LogFolder.DataEnd(segment) < 4096);

        var logger = new CapturingLogger();
        using (var reopened = folder.Open(segmentBytes: 1 << 16, logger))
        {
            Assert.Equal(10, reopened.LastIndex);
            Assert.DoesNotContain(logger.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning);
            LogFolder.AppendBatch(reopened, 5, term: 2);
            reopened.TruncateFrom(8);
        }

        Assert.Equal(1 << 16, new FileInfo(segment).Length);
        using var again = folder.Open(segmentBytes: 1 << 16, logger);
        Assert.Equal(7, again.LastIndex);
        LogFolder.AssertRecords(again.Read(1, 7), 1);
        Assert.DoesNotContain(logger.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Equal(LogFolder.DataEnd(segment), OffsetOf(1, 8));
    }

    [Fact]
    public void DamagedRecordOfASyncedAppend_FollowedByALaterAppend_RefusesToOpen()
    {
        var folder = NewFolder();
        using (var log = folder.Open(segmentBytes: 1 << 20))
        {
            LogFolder.AppendBatch(log, 5, term: 1);
            LogFolder.AppendBatch(log, 5, term: 2);
        }

        FlipByte(folder.Segments()[0], OffsetOf(1, 3) + 9); // the term of record 3
        var error = Assert.Throws<LogCorruptedException>(() => folder.Open(segmentBytes: 1 << 20));
        Assert.Contains("later append", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DamagedRecordInASegmentThatIsNotTheLast_RefusesToOpen()
    {
        var folder = NewFolder();
        folder.Write(batches: 4, perBatch: 4, segmentBytes: 512);

        var segments = folder.Segments();
        Assert.True(segments.Length >= 2);
        FlipByte(segments[0], new FileInfo(segments[0]).Length - 1);
        Assert.Throws<LogCorruptedException>(() => folder.Open(segmentBytes: 512));
    }

    [Fact]
    public void MissingSegmentBetweenTwoOthers_RefusesToOpen()
    {
        var folder = NewFolder();
        folder.Write(batches: 4, perBatch: 4, segmentBytes: 512);

        var segments = folder.Segments();
        Assert.True(segments.Length >= 3);
        File.Delete(segments[1]);
        var error = Assert.Throws<LogCorruptedException>(() => folder.Open(segmentBytes: 512));
        Assert.Contains("ends at", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LastSegmentCutInsideItsHeader_IsDeleted_AndTheLogEndsWithThePreviousSegment()
    {
        var folder = NewFolder();
        folder.Write(batches: 3, perBatch: 4, segmentBytes: 512);

        var segments = folder.Segments();
        var last = segments[^1];
        var first = FirstIndexOf(last);
        using (var file = new FileStream(last, FileMode.Open, FileAccess.ReadWrite))
            file.SetLength(10);

        using var recovered = folder.Open(segmentBytes: 512);
        Assert.Equal(first - 1, recovered.LastIndex);
        Assert.False(File.Exists(last));
        LogFolder.AssertRecords(recovered.Read(1, first - 1), 1);
    }

    [Fact]
    public void DamagedHeaderOfANewLastSegment_WhoseFirstAppendReachedTheDisk_IsDeleted()
    {
        var folder = NewFolder();
        folder.Write(batches: 3, perBatch: 4, segmentBytes: 512);
        var last = folder.Segments()[^1];
        var first = FirstIndexOf(last);
        FlipByte(last, 20); // the header's first index; the records of the append written with it are intact

        using var recovered = folder.Open(segmentBytes: 512);
        Assert.Equal(first - 1, recovered.LastIndex);
        Assert.False(File.Exists(last));
    }

    [Fact]
    public void DamagedHeaderOfALastSegmentWithASecondAppend_RefusesToOpen()
    {
        var folder = NewFolder();
        folder.Write(batches: 2, perBatch: 4, segmentBytes: 1 << 20);
        FlipByte(folder.Segments()[0], 3);
        var error = Assert.Throws<LogCorruptedException>(() => folder.Open(segmentBytes: 1 << 20));
        Assert.Contains("damaged header", error.Message, StringComparison.Ordinal);
    }

    private LogFolder NewFolder()
    {
        var folder = new LogFolder();
        _folders.Add(folder);
        return folder;
    }

    private static long FirstIndexOf(string segment) => long.Parse(Path.GetFileNameWithoutExtension(segment), System.Globalization.CultureInfo.InvariantCulture);

    // Where the record at `index` starts in the segment that begins at `first` (records written by LogFolder.AppendBatch).
    private static long OffsetOf(long first, long index)
    {
        var offset = (long)LogRecordFormat.SegmentHeaderSize;
        for (var i = first; i < index; i++)
            offset += LogRecordFormat.RecordHeaderSize + LogFolder.Payload(i).Length;
        return offset;
    }

    private static void FlipByte(string path, long offset)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var value = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(value ^ 0x5A));
    }

    public void Dispose()
    {
        foreach (var folder in _folders)
            folder.Dispose();
    }
}
