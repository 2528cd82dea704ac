namespace RaftKV.Node.Log;

/// <summary>
/// Zeros written ahead of the tail (<see cref="SegmentedLogOptions.ZeroAheadBytes"/>). A preallocated segment is sparse:
/// the first append into each block allocates it, and the append's fdatasync then commits that allocation to the
/// file system's journal as well as the data. With three nodes' syncs on one disk, ext4 serializes those journal
/// commits: three writers' 1.6 KB `pwrite` + `fdatasync` took 188-208 us (p50) into sparse files against 151-165 us into
/// zero-filled ones (p90 323-334 against 206-239; `scripts/fsync-bench.py` measures the same). So the blocks ahead of the tail are written with zeros, and synced,
/// in the background, where an append's sync has nothing but its data to write. The file's bytes stay what recovery
/// reads from a sparse file: zeros after the last record. The zeros go through the page cache, so an append into a
/// zeroed block finds its page there and reads nothing from the disk.
/// <para>
/// A pass starts once less than half the lead is zeroed, and writes and syncs a chunk at a time until the lead is
/// whole again (less than a chunk short). Each chunk is written under the write gate, at or past the tail segment's end
/// as it is then: an append (which takes the gate) never finds its records overwritten. It is synced through a handle of
/// its own, outside the gate; an append's sync that comes meanwhile may write the chunk's pages back itself.
/// </para>
/// <para>
/// A failed write of zeros stops the zeroing (appends then fill sparse blocks, as without it). A writeback error on
/// the zeros' pages is also reported to the log's own next sync, as Linux reports it to every open file of the inode:
/// the log then fails as for any failed sync of its own.
/// </para>
/// </summary>
internal sealed partial class SegmentedLog
{
    private const int ZeroChunkBytes = 256 << 10; // written under the gate, then synced
    private const int BlockBytes = 4096;

    private static readonly byte[] Zeros = new byte[ZeroChunkBytes];
    private int _zeroing; // 1 while a pass is queued or running
    private bool _zeroingStopped; // a write or sync of zeros failed: sparse from then on
    private long _zeroedBytes;

    /// <summary>Bytes of zeros written ahead of the tail since the log was opened.</summary>
    public long ZeroedBytes => Interlocked.Read(ref _zeroedBytes);

    // Extends the last segment's file to SegmentBytes with zeros (sparse), unless it is that long already or holds more
    // (SegmentedLogOptions.Preallocate). Made durable by the caller's next sync of the file.
    private void Preallocate(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long end)
    {
        if (_options.Preallocate && end < _options.SegmentBytes)
            RandomAccess.SetLength(handle, _options.SegmentBytes);
    }

    // The zeros' lead past the tail's last record, at most a segment.
    private long ZeroLead => Math.Min(_options.ZeroAheadBytes, _options.SegmentBytes);

    // Under the write gate, after an append ended at tail.End: starts a pass when less than half the lead is zeroed.
    // An append that comes while a pass is ending may find it running and start none; the next append starts it.
    private void ZeroAheadIfDue(LogSegment tail)
    {
        if (!_options.Preallocate || _zeroingStopped || tail.ZeroedTo - tail.End >= ZeroLead / 2 || NextZeroChunk(tail) is null)
            return;
        if (Interlocked.Exchange(ref _zeroing, 1) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static log => log.ZeroAhead(), this, preferLocal: false);
    }

    // The next chunk of zeros due ahead of `tail`, or null. It starts at the block after the one the tail ends in (that
    // one holds records, so it is written already), or past the zeros, and ends at most a lead past the records, within
    // the preallocated length. Less than a chunk due (half the lead, if that is less) is left for a later pass, unless
    // the segment ends there. One rule for whether a pass starts and for where it stops: a pass is queued only when it
    // has a chunk to write.
    private (long Start, int Length)? NextZeroChunk(LogSegment tail)
    {
        if (ZeroLead < BlockBytes)
            return null;
        var target = AlignDown(Math.Min(tail.End + ZeroLead, _options.SegmentBytes));
        var start = AlignDown(Math.Max(tail.ZeroedTo, tail.End) + BlockBytes - 1);
        var due = target - start;
        if (due <= 0 || (due < Math.Min(ZeroChunkBytes, ZeroLead / 2) && target < AlignDown(_options.SegmentBytes)))
            return null;
        return (start, (int)Math.Min(ZeroChunkBytes, due));
    }

    private static long AlignDown(long offset) => offset / BlockBytes * BlockBytes;

    private void ZeroAhead()
    {
        try
        {
            while (ZeroChunk() is { } chunk)
            {
                SyncZeros(chunk.Path);
                Interlocked.Add(ref _zeroedBytes, chunk.Length);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            lock (_writeGate)
                _zeroingStopped = true;
            LogZeroingStopped(_directory, e);
        }
        finally
        {
            Volatile.Write(ref _zeroing, 0);
        }
    }

    // Writes the next chunk of zeros ahead of the tail segment; null once none is due, or when the log is closed or failed.
    private (string Path, int Length)? ZeroChunk()
    {
        lock (_writeGate)
        {
            if (_disposed || Volatile.Read(ref _failure) is not null || _zeroingStopped || _segments.Count == 0)
                return null;
            var tail = _segments[^1];
            if (NextZeroChunk(tail) is not var (start, length))
                return null;
            RandomAccess.Write(tail.Handle, Zeros.AsSpan(0, length), start);
            tail.ZeroedTo = start + length;
            return (tail.Path, length);
        }
    }

    // Outside the gate: appends go on meanwhile.
    private static void SyncZeros(string path)
    {
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return; // truncated away or reset meanwhile
        }

        using (handle)
            DataSync.Flush(handle, recorded: false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing zeros ahead of the log's tail in {Directory} failed; appends fill sparse blocks from now on")]
    private partial void LogZeroingStopped(string directory, Exception e);
}
