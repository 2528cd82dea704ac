using System.Runtime.InteropServices;
using RaftKV.Node.Log;

namespace RaftKV.Node.Tests.Log;

/// <summary>
/// Zeros written ahead of the log's tail (SegmentedLogOptions.ZeroAheadBytes): the blocks an append will fill are
/// allocated before it, and no record is ever overwritten by them. Where a file's first hole begins is read with
/// <c>lseek(SEEK_HOLE)</c>, which reports the blocks a file really has on disk.
/// </summary>
public sealed class SegmentedLogZeroFillTests : IDisposable
{
    private const long Mebibyte = 1 << 20;

    // The least left zeroed past the records with a lead of a mebibyte, once the zeroing is done: a pass starts when
    // less than half the lead is zeroed (so appends may leave just over half), and the records' own block is not counted.
    private const long LeastZeroed = Mebibyte / 2 - 4096;
    private readonly LogFolder _folder = new();

    [Fact]
    public void AfterAnAppend_TheBlocksAheadOfTheTail_AreWrittenInTheBackground()
    {
        using var log = _folder.Open(segmentBytes: 8 * Mebibyte, zeroAheadBytes: Mebibyte);
        LogFolder.AppendBatch(log, 10, term: 1);

        var segment = Assert.Single(_folder.Segments());
        var end = LogFolder.DataEnd(segment);
        Assert.True(Eventually(() => log.ZeroedBytes >= LeastZeroed), $"{log.ZeroedBytes} bytes zeroed");
        // Past half a mebibyte after the records: the hole starts there, not right after the records.
        Assert.True(FirstHole(segment) >= end + LeastZeroed, $"first hole at {FirstHole(segment)}, records end at {end}");
        Assert.True(FirstHole(segment) < 8 * Mebibyte, "zeroed past the lead");
        LogFolder.AssertRecords(log.Read(1, 10), 1);
    }

    [Fact]
    public void WithoutZerosAhead_TheSegmentIsSparsePastItsRecords()
    {
        using (var log = _folder.Open(segmentBytes: 8 * Mebibyte, zeroAheadBytes: 0))
        {
            LogFolder.AppendBatch(log, 10, term: 1);
            Assert.Equal(0, log.ZeroedBytes);
        }

        // The records' last block is the file's last: the hole starts a block or so after them.
        var segment = Assert.Single(_folder.Segments());
        Assert.True(FirstHole(segment) <= LogFolder.DataEnd(segment) + 64 * 1024, $"first hole at {FirstHole(segment)}, records end at {LogFolder.DataEnd(segment)}");
    }

    [Fact]
    public void AfterATailIsCut_TheSpacePastTheNewTail_IsZeroedAgain()
    {
        using var log = _folder.Open(segmentBytes: 8 * Mebibyte, zeroAheadBytes: Mebibyte);
        for (var i = 0; i < 40; i++)
            LogFolder.AppendBatch(log, 200, term: 1);
        var segment = Assert.Single(_folder.Segments());
        Assert.True(Eventually(() => FirstHole(segment) >= LogFolder.DataEnd(segment) + LeastZeroed),
            $"first hole at {FirstHole(segment)}, records end at {LogFolder.DataEnd(segment)}");

        // The cut frees the blocks past the new tail, zeros included; the next append has them zeroed again.
        log.TruncateFrom(100);
        var zeroed = log.ZeroedBytes;
        LogFolder.AppendBatch(log, 1, term: 1);
        Assert.True(Eventually(() => log.ZeroedBytes > zeroed), "nothing zeroed after the cut");
        Assert.True(Eventually(() => FirstHole(segment) >= LogFolder.DataEnd(segment) + LeastZeroed),
            $"first hole at {FirstHole(segment)}, records end at {LogFolder.DataEnd(segment)}");
        LogFolder.AssertRecords(log.Read(1, 100), 1);
    }

    [Fact]
    public void ALeadShorterThanAChunk_IsZeroedToo()
    {
        using var log = _folder.Open(segmentBytes: 8 * Mebibyte, zeroAheadBytes: 64 << 10);
        LogFolder.AppendBatch(log, 10, term: 1);
        var segment = Assert.Single(_folder.Segments());
        // At least half the lead past the records' block; never past the lead.
        Assert.True(Eventually(() => FirstHole(segment) >= LogFolder.DataEnd(segment) + (32 << 10) - 4096),
            $"first hole at {FirstHole(segment)}, records end at {LogFolder.DataEnd(segment)}");
        Assert.True(FirstHole(segment) <= LogFolder.DataEnd(segment) + (64 << 10) + 4096, $"first hole at {FirstHole(segment)}");
    }

    [Fact]
    public void RecordsAppendedWhileZerosAreWrittenAhead_AllReadBackAfterReopen()
    {
        // Small segments and a small lead: zeroing passes interleave with appends, rollovers and cut tails.
        const long segmentBytes = 256 << 10;
        long last;
        using (var log = _folder.Open(segmentBytes, zeroAheadBytes: 64 << 10))
        {
            var random = new Random(17);
            for (var i = 0; i < 2000; i++)
            {
                LogFolder.AppendBatch(log, 1 + random.Next(12), term: 1);
                if (i % 400 == 399)
                    log.TruncateFrom(log.LastIndex - random.Next(1, 20));
            }

            Assert.True(Eventually(() => log.ZeroedBytes > 0), "no zeros written ahead");
            Assert.True(log.SegmentCount > 3, $"{log.SegmentCount} segments");
            last = log.LastIndex;
        }

        using var reopened = _folder.Open(segmentBytes);
        Assert.Equal(1, reopened.FirstIndex);
        Assert.Equal(last, reopened.LastIndex);
        LogFolder.AssertRecords(reopened.Read(1, last), 1);
    }

    // Polls `condition` every 20 ms for up to 30 s (the zeros are written on the thread pool, which a busy machine delays).
    private static bool Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            Thread.Sleep(20);
        }

        return true;
    }

    private static long FirstHole(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var hole = Lseek((int)handle.DangerousGetHandle(), 0, SeekHole);
            Assert.True(hole >= 0, $"lseek(SEEK_HOLE) failed: errno {Marshal.GetLastPInvokeError()}");
            return hole;
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
        }
    }

    private const int SeekHole = 4;

    [DllImport("libc", EntryPoint = "lseek", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern long Lseek(int descriptor, long offset, int whence);

    public void Dispose() => _folder.Dispose();
}
