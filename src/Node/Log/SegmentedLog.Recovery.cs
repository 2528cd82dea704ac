using Microsoft.Win32.SafeHandles;

namespace RaftKV.Node.Log;

/// <summary>
/// Recovery at open: every segment read through, every record's header and checksum verified, indexes and terms checked
/// in order. A damaged end of the last segment that one unfinished append explains (a crash before its sync) is cut off
/// with a warning; any other damage stops the open with <see cref="LogCorruptedException"/>. Zeros after the last
/// segment's last record are its preallocated, never written space (<see cref="SegmentedLogOptions.Preallocate"/>).
/// </summary>
internal sealed partial class SegmentedLog
{
    private void Recover()
    {
        var files = new List<(long First, string Path)>();
        foreach (var path in Directory.EnumerateFiles(_directory, "*.seg"))
        {
            if (!LogSegment.TryParseName(Path.GetFileName(path), out var first))
                throw new LogCorruptedException($"{path} is not a segment name this log writes");
            files.Add((first, path));
        }

        files.Sort((a, b) => a.First.CompareTo(b.First));
        for (var i = 0; i < files.Count; i++)
        {
            var (first, path) = files[i];
            var isLast = i == files.Count - 1;
            if (_segments.Count > 0 && first != _segments[^1].LastIndex + 1)
                throw new LogCorruptedException($"{path} starts at index {first}, but the segment before it ends at {_segments[^1].LastIndex}");
            if (RecoverSegment(path, first, isLast) is { } segment)
                _segments.Add(segment);
        }

        if (_segments.Count > 0)
        {
            _firstIndex = _segments[0].FirstIndex;
            _lastIndex = _segments[^1].LastIndex;
        }

        LogOpened(_directory, _segments.Count, _firstIndex, _lastIndex);
    }

    // The segment, or null when it was the last one and a crash interrupted its creation (it is then deleted).
    private LogSegment? RecoverSegment(string path, long first, bool isLast)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            var length = RandomAccess.GetLength(handle);
            var window = new FileWindow(handle, length);

            // Records, whole or damaged, lie before `written`: only zeros follow it. Those are unwritten preallocated
            // space in the last segment; a segment with a later one after it was filled before that one was started,
            // so there any zeros at the end are damage, as before.
            var written = isLast ? window.WrittenEnd() : length;
            if (!LogRecordFormat.TryReadSegmentHeader(window.Get(0, (int)Math.Min(length, LogRecordFormat.SegmentHeaderSize)), out var named)
                || named != first)
            {
                // The header went out in one write with the segment's first append: valid records of that append may
                // have reached the disk without it; a valid record of any later append means the header was synced.
                if (!isLast || ValidRecordAfter(window, 0, written, header => header.Batch != first))
                    throw new LogCorruptedException($"{path} has a damaged header");
                handle.Dispose();
                File.Delete(path);
                SyncFolder();
                LogTornSegmentDeleted(path, length);
                return null;
            }

            var segment = new LogSegment(path, first, handle, LogRecordFormat.SegmentHeaderSize);
            var position = (long)LogRecordFormat.SegmentHeaderSize;
            var batch = first;
            var previousTerm = _terms.Count > 0 ? _terms.TermAt(first - 1) : 0;
            while (position < written)
            {
                var index = segment.LastIndex + 1;
                if (ReadRecord(window, position, length) is not { } header)
                {
                    CutTornTail(segment, window, position, written, isLast, batch, index);
                    break;
                }

                if (header.Index != index || !(header.Batch == batch || header.Batch == index) || header.Term < previousTerm)
                    throw new LogCorruptedException(
                        $"{path} at offset {position}: record {header.Index} (batch {header.Batch}, term {header.Term}) where index {index} after term {previousTerm} was expected");
                segment.Recovered(position, position + header.Size);
                _terms.Add(index, header.Term);
                previousTerm = header.Term;
                batch = header.Batch;
                position += header.Size;
            }

            return segment;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    // The record at `position` if it is whole and matches its checksum.
    private static LogRecordFormat.RecordHeader? ReadRecord(FileWindow window, long position, long length)
    {
        if (length - position < LogRecordFormat.RecordHeaderSize)
            return null;
        var bytes = window.Get(position, LogRecordFormat.RecordHeaderSize);
        if (!LogRecordFormat.TryReadRecordHeader(bytes, out var header) || header.Size > length - position)
            return null;
        var record = window.Get(position, (int)header.Size);
        return LogRecordFormat.ChecksumMatches(record, header, record[LogRecordFormat.RecordHeaderSize..]) ? header : null;
    }

    // A damaged record at `position`. It is a torn tail if it lies in the last segment and nothing after it is a valid
    // record of a later append: the append that wrote it (the last one, `batch` or one starting at `index`) never
    // finished its sync, so none of it was acknowledged, and its sectors may have reached the disk in any order.
    // `written`: where the segment's last non-zero byte ends (see RecoverSegment).
    private void CutTornTail(LogSegment segment, FileWindow window, long position, long written, bool isLast, long batch, long index)
    {
        if (!isLast)
            throw new LogCorruptedException($"{segment.Path} has a damaged record at offset {position} (index {index}), and later segments follow");
        if (ValidRecordAfter(window, position, written, header => header.Batch != batch && header.Batch != index))
            throw new LogCorruptedException(
                $"{segment.Path} has a damaged record at offset {position} (index {index}) followed by valid records of a later append: the log was damaged after it was synced");

        // Cut first, so nothing of the torn append is left in the zeros preallocated again after it.
        RandomAccess.SetLength(segment.Handle, position);
        Preallocate(segment.Handle, position);
        DataSync.Flush(segment.Handle);
        Interlocked.Increment(ref _syncs);
        LogTornTail(segment.Path, position, written - position, index);
    }

    // Whether a valid record that `matches` starts anywhere after `position` and before `written` (a record's header is
    // never all zeros; searched byte by byte: a 64-bit checksum makes a false match negligible).
    private static bool ValidRecordAfter(FileWindow window, long position, long written, Func<LogRecordFormat.RecordHeader, bool> matches)
    {
        for (var at = position + 1; at < written && at + LogRecordFormat.RecordHeaderSize <= window.Length; at++)
        {
            if (ReadRecord(window, at, window.Length) is { } header && matches(header))
                return true;
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Log in {Directory} opened: {Segments} segments, indexes {First} to {Last}")]
    private partial void LogOpened(string directory, int segments, long first, long last);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Cut a torn tail off {Path} at offset {Offset}: {Bytes} bytes from index {Index} on, written by an append that a crash interrupted before its sync (never acknowledged)")]
    private partial void LogTornTail(string path, long offset, long bytes, long index);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleted {Path} ({Bytes} bytes): a crash interrupted its creation before its first sync")]
    private partial void LogTornSegmentDeleted(string path, long bytes);

    /// <summary>Reads a file through a window of at least 1 MiB, so a scan makes few read calls.</summary>
    private sealed class FileWindow(SafeFileHandle handle, long length)
    {
        private byte[] _buffer = new byte[1 << 20];
        private long _start;
        private int _count;

        public long Length => length;

        /// <summary>Where the file's last non-zero byte ends (0 for a file of zeros), read from the end backwards.</summary>
        public long WrittenEnd()
        {
            var chunk = new byte[1 << 20];
            for (var end = length; end > 0;)
            {
                var start = Math.Max(0, end - chunk.Length);
                var span = chunk.AsSpan(0, (int)(end - start));
                for (var read = 0; read < span.Length;)
                {
                    var n = RandomAccess.Read(handle, span[read..], start + read);
                    if (n == 0)
                        throw new IOException($"The file ended at {start + read} while {length} bytes long");
                    read += n;
                }

                var last = span.LastIndexOfAnyExcept((byte)0);
                if (last >= 0)
                    return start + last + 1;
                end = start;
            }

            return 0;
        }

        public ReadOnlySpan<byte> Get(long position, int size)
        {
            if (position >= _start && position + size <= _start + _count)
                return _buffer.AsSpan((int)(position - _start), size);
            if (size > _buffer.Length)
                _buffer = new byte[size];
            _start = position;
            _count = 0;
            var want = (int)Math.Min(_buffer.Length, length - position);
            while (_count < want)
            {
                var n = RandomAccess.Read(handle, _buffer.AsSpan(_count, want - _count), position + _count);
                if (n == 0)
                    break;
                _count += n;
            }

            return _buffer.AsSpan(0, Math.Min(size, _count));
        }
    }
}
