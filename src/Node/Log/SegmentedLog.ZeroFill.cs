namespace RaftKV.Node.Log;

/// <summary>
/// Zeros written ahead of the tail (<see cref="SegmentedLogOptions.ZeroAheadBytes"/>). A preallocated segment is sparse:
/// the first append into each block allocates it, and the append's fdatasync then commits that allocation to the
/// file system's journal as well as the data. With three nodes' syncs on one disk, ext4 serializes those journal
/// commits: three writers' 1.6 KB `pwrite` + `fdatasync` took 188-208 us (p50) into sparse files against 151-165 us into
/// zero-filled ones (p90 323-334 against 206-237). So the blocks ahead of the tail are written with zeros, and synced,
/// in the background, where an append's sync has nothing but its data to write. The file's bytes stay what recovery
/// reads from a sparse file: zeros after the last record.
/// <para>
/// The zeros are written under the write gate, at or past the tail segment's end as it is then: an append (which takes
/// the gate) never finds its records overwritten. They are synced through a handle of their own: a failed sync there
/// consumes no error the log's own next sync must see (Linux reports a writeback error once per open file).
/// </para>
/// </summary>
internal sealed partial class SegmentedLog
{
    private const int ZeroChunkBytes = 256 << 10; // written under the gate at a time
    private const int ZeroSyncBytes = 1 << 20; // synced at a time
    private const int BlockBytes = 4096;

    private static readonly byte[] Zeros = new byte[ZeroChunkBytes];
    private int _zeroing; // 1 while a pass is queued or running
    private bool _zeroingStopped; // a write or sync of zeros failed: sparse from then on
    private long _zeroedBytes;

    /// <summary>Bytes of zeros written ahead of the tail since the log was opened.</summary>
    public long ZeroedBytes => Interlocked.Read(ref _zeroedBytes);

    // Under the write gate, after an append ended at tail.End: starts a pass when less than half the lead is zeroed.
    // An append that comes while a pass is ending may find it running and start none; the next append starts it.
    private void ZeroAheadIfDue(LogSegment tail)
    {
        if (_options.ZeroAheadBytes <= 0 || !_options.Preallocate || _zeroingStopped)
            return;
        var target = Math.Min(tail.End + _options.ZeroAheadBytes, _options.SegmentBytes);
        if (tail.ZeroedTo >= target || tail.ZeroedTo - tail.End >= _options.ZeroAheadBytes / 2)
            return;
        if (Interlocked.Exchange(ref _zeroing, 1) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static log => log.ZeroAhead(), this, preferLocal: false);
    }

    private void ZeroAhead()
    {
        try
        {
            while (ZeroSome() is { } written)
            {
                SyncZeros(written);
                Interlocked.Add(ref _zeroedBytes, written.Bytes);
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

    // Writes up to ZeroSyncBytes of zeros ahead of the tail, a chunk per hold of the gate; null when nothing is due.
    private (string Path, long Bytes)? ZeroSome()
    {
        LogSegment? segment = null;
        long written = 0;
        while (written < ZeroSyncBytes)
        {
            lock (_writeGate)
            {
                if (_disposed || Volatile.Read(ref _failure) is not null || _zeroingStopped || _segments.Count == 0)
                    break;
                var tail = _segments[^1];
                if (segment is not null && !ReferenceEquals(tail, segment))
                    break; // a new segment: the next pass zeroes it
                var target = Math.Min(tail.End + _options.ZeroAheadBytes, _options.SegmentBytes);
                // The block the tail ends in holds records, so it is written already.
                var start = (Math.Max(tail.ZeroedTo, tail.End) + BlockBytes - 1) / BlockBytes * BlockBytes;
                if (start >= target)
                    break;
                var length = (int)Math.Min(ZeroChunkBytes, target - start);
                RandomAccess.Write(tail.Handle, Zeros.AsSpan(0, length), start);
                tail.ZeroedTo = start + length;
                segment = tail;
                written += length;
            }
        }

        return segment is null ? null : (segment.Path, written);
    }

    // Outside the gate: appends go on meanwhile (their own syncs may wait for the file system's journal once).
    private static void SyncZeros((string Path, long Bytes) written)
    {
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(written.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return; // truncated away or reset meanwhile
        }

        using (handle)
            DataSync.Flush(handle, recorded: false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing zeros ahead of the log's tail in {Directory} failed; appends go into sparse space from now on")]
    private partial void LogZeroingStopped(string directory, Exception e);
}
