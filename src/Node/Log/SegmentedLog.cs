using Microsoft.Extensions.Logging.Abstractions;
using RaftKV.Node.Raft;

namespace RaftKV.Node.Log;

/// <summary>
/// The Raft log on disk: segment files of checksummed records (<see cref="LogRecordFormat"/>). An append of a batch is
/// one write and one fdatasync, durable when <see cref="Append"/> returns; a tail truncation, a prefix drop and a reset
/// are durable when they return too. Nothing else is written: no checkpoint, no commit index, no memory maps.
/// <para>
/// Threads: appends, truncations, prefix drops and resets are serialized among themselves; reads run beside appends
/// (an append only writes past the end and publishes its records after its sync) and wait for truncations and resets.
/// A prefix drop holds the locks only to detach its segments; reads, appends and truncations do not wait for the
/// deletion of its files.
/// After a failed write or sync every operation throws <see cref="LogFailedException"/> (see there why it never retries).
/// </para>
/// </summary>
internal sealed partial class SegmentedLog : IDisposable
{
    private readonly string _directory;
    private readonly SegmentedLogOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _deleteGate = new(); // taken before _writeGate: prefix drops and resets
    private readonly Lock _writeGate = new();
    private readonly ReaderWriterLockSlim _state = new(LockRecursionPolicy.NoRecursion);
    private readonly List<LogSegment> _segments = [];
    private readonly TermRuns _terms = new();
    private readonly RecentRecords _recent;
    private long _firstIndex = 1;
    private long _lastIndex;
    private long _syncs;
    private long _folderSyncs;
    private Exception? _failure;
    private LogSegment? _unsynced; // the segment of an append whose fdatasync SyncTail has yet to run
    private bool _disposed;

    private SegmentedLog(string directory, SegmentedLogOptions options, ILogger logger)
    {
        _directory = directory;
        _options = options;
        _logger = logger;
        _recent = new RecentRecords(options.RecentBytes);
    }

    /// <summary>Opens (and recovers) the log in <paramref name="directory"/>, creating it if needed.</summary>
    /// <exception cref="LogCorruptedException">The log is damaged in a way a crash cannot explain.</exception>
    public static SegmentedLog Open(string directory, SegmentedLogOptions? options = null, ILogger? logger = null)
    {
        Directory.CreateDirectory(directory);
        var log = new SegmentedLog(Path.GetFullPath(directory), options ?? new SegmentedLogOptions(), logger ?? NullLogger.Instance);
        try
        {
            log.Recover();
            return log;
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>The first index that can be read; <see cref="LastIndex"/> + 1 when the log is empty.</summary>
    // Set under the write lock by TruncateFrom and Reset for their disk work; read without it (see Mutating).
    private volatile bool _mutating;

    public long FirstIndex => Volatile.Read(ref _firstIndex);

    /// <summary>The last durable index; <see cref="FirstIndex"/> - 1 when the log is empty (0 for a new log).</summary>
    public long LastIndex => Volatile.Read(ref _lastIndex);

    public bool IsEmpty => LastIndex < FirstIndex;

    /// <summary>fdatasync calls on segment files since the log was opened.</summary>
    public long Syncs => Interlocked.Read(ref _syncs);

    /// <summary>fsync calls on the log's folder (new or deleted segments) since the log was opened.</summary>
    public long FolderSyncs => Interlocked.Read(ref _folderSyncs);

    public int SegmentCount
    {
        get
        {
            _state.EnterReadLock();
            try
            {
                return _segments.Count;
            }
            finally
            {
                _state.ExitReadLock();
            }
        }
    }

    /// <summary>A batch that starts at the log's next index.</summary>
    public LogBatch NewBatch() => new(LastIndex + 1);

    /// <summary>
    /// Appends <paramref name="batch"/> with one write and one fdatasync (plus an fsync of the folder when it starts a new
    /// segment). The records are durable, and readable, when this returns.
    /// </summary>
    public void Append(LogBatch batch)
    {
        if (AppendWithoutSync(batch))
            SyncTail();
    }

    /// <summary>
    /// Appends <paramref name="batch"/> with one write and leaves its fdatasync to <see cref="SyncTail"/>: the records
    /// are readable, and counted in <see cref="LastIndex"/>, before they are durable. The leader uses it to send its
    /// entries to the followers while its own sync runs (Raft thesis 10.2.1); it counts itself toward a commit only after
    /// <see cref="SyncTail"/> returns. Until then nothing else may be written, truncated or reset (those throw): recovery
    /// takes a damaged record followed by a valid record of a later append for damage to synced data, so at most one
    /// append may be unsynced at any time. Returns false when nothing is left to sync (an empty batch, or one that
    /// started a new segment, which is synced with its folder at once).
    /// </summary>
    public bool AppendWithoutSync(LogBatch batch)
    {
        lock (_writeGate)
        {
            ThrowIfUnusable();
            ThrowIfSyncPending();
            if (batch.FirstIndex != _lastIndex + 1)
                throw new InvalidOperationException($"The batch starts at {batch.FirstIndex}; the log's next index is {_lastIndex + 1}");
            if (batch.Count == 0)
                return false;
            if (_lastIndex >= _firstIndex && batch.Terms[0] < _terms.TermAt(_lastIndex))
                throw new InvalidOperationException($"Term {batch.Terms[0]} would follow term {_terms.TermAt(_lastIndex)}");

            var segment = _segments.Count > 0 && _segments[^1].End < _options.SegmentBytes ? _segments[^1] : null;
            var created = segment is null;
            try
            {
                segment ??= CreateSegment(batch.FirstIndex);
                var offset = created ? LogRecordFormat.SegmentHeaderSize : segment.End;
                if (created)
                {
                    var header = new byte[LogRecordFormat.SegmentHeaderSize];
                    LogRecordFormat.WriteSegmentHeader(header, batch.FirstIndex);
                    RandomAccess.Write(segment.Handle, [header, batch.Bytes], 0);
                }
                else
                {
                    RandomAccess.Write(segment.Handle, batch.Bytes.Span, offset);
                }

                if (created)
                {
                    DataSync.Flush(segment.Handle);
                    Interlocked.Increment(ref _syncs);
                    SyncFolder();
                }

                _state.EnterWriteLock();
                try
                {
                    if (created)
                        _segments.Add(segment);
                    segment.Added(offset, batch.Offsets, offset + batch.Bytes.Length);
                    _recent.Appended(batch.FirstIndex, batch.Bytes, batch.Offsets);
                    for (var i = 0; i < batch.Count; i++)
                        _terms.Add(batch.FirstIndex + i, batch.Terms[i]);
                    Volatile.Write(ref _lastIndex, batch.LastIndex);
                }
                finally
                {
                    _state.ExitWriteLock();
                }

                _unsynced = created ? null : segment;
                ZeroAheadIfDue(segment);
                return !created;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (created && segment is not null && !_segments.Contains(segment))
                    segment.Dispose();
                throw Fail(e);
            }
        }
    }

    /// <summary>The fdatasync of the append <see cref="AppendWithoutSync"/> left unsynced, if any; durable when it returns.</summary>
    public void SyncTail()
    {
        lock (_writeGate)
        {
            if (_unsynced is not { } segment)
                return;
            ThrowIfUnusable();
            try
            {
                DataSync.Flush(segment.Handle);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Fail(e);
            }

            Interlocked.Increment(ref _syncs);
            _unsynced = null;
        }
    }

    /// <summary>Whether an append awaits its <see cref="SyncTail"/>.</summary>
    public bool SyncPending
    {
        get
        {
            lock (_writeGate)
                return _unsynced is not null;
        }
    }

    // The caller holds the write gate.
    private void ThrowIfSyncPending()
    {
        if (_unsynced is not null)
            throw new InvalidOperationException("The last append is not synced yet: SyncTail first (at most one unsynced append)");
    }

    /// <summary>The term of <paramref name="index"/>, from memory.</summary>
    public long TermAt(long index)
    {
        _state.EnterReadLock();
        try
        {
            if (index < _firstIndex || index > _lastIndex)
                throw new ArgumentOutOfRangeException(nameof(index), $"Index {index} is outside the log [{_firstIndex}, {_lastIndex}]");
            return _terms.TermAt(index);
        }
        finally
        {
            _state.ExitReadLock();
        }
    }

    /// <summary>
    /// True while a truncation or reset holds the log's state for its disk work (unlinks, fdatasync): a reader would
    /// wait that long, so a socket event thread leaves first (Execution/SocketThreads.cs).
    /// </summary>
    public bool Mutating => _mutating;

    /// <summary>
    /// As <see cref="Read"/> when the records from <paramref name="first"/> are still in memory (the tail just
    /// appended); null when reading them would read the disk.
    /// </summary>
    public IReadOnlyList<LogRecord>? ReadFromMemory(long first, long last, long maxPayloadBytes, int maxCount) =>
        ReadCore(first, last, maxPayloadBytes, maxCount, memoryOnly: true);

    /// <summary>
    /// Reads records from <paramref name="first"/> up to <paramref name="last"/>: at least one (when the range is not
    /// empty), then as many as fit in <paramref name="maxPayloadBytes"/> of payload and <paramref name="maxCount"/>
    /// records. Every record read from the disk has its checksum verified; the latest appends are read from memory, as
    /// they were written (<see cref="RecentRecords"/>).
    /// </summary>
    /// <exception cref="LogCorruptedException">A record no longer matches its checksum.</exception>
    public IReadOnlyList<LogRecord> Read(long first, long last, long maxPayloadBytes = long.MaxValue, int maxCount = int.MaxValue) =>
        ReadCore(first, last, maxPayloadBytes, maxCount, memoryOnly: false)!;

    // Null only with memoryOnly, when a record of the range would be read from a segment file.
    private IReadOnlyList<LogRecord>? ReadCore(long first, long last, long maxPayloadBytes, int maxCount, bool memoryOnly)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        _state.EnterReadLock();
        try
        {
            ThrowIfUnusable();
            if (first > last)
                return [];
            if (first < _firstIndex || last > _lastIndex)
                throw new ArgumentOutOfRangeException(nameof(first), $"[{first}, {last}] is outside the log [{_firstIndex}, {_lastIndex}]");

            var records = new List<LogRecord>();
            var bytes = 0L;
            var next = first;
            while (next <= last && records.Count < maxCount)
            {
                if (next >= _recent.FirstIndex)
                {
                    _recent.Read(next, last, records, ref bytes, maxPayloadBytes, maxCount);
                    break;
                }

                if (memoryOnly)
                    return null;

                var segment = _segments[FindSegment(next)];
                var end = next;
                var limit = Math.Min(last, segment.LastIndex);
                for (; end <= limit && records.Count + (end - next) < maxCount; end++)
                {
                    var payload = segment.EndOf(end) - segment.OffsetOf(end) - LogRecordFormat.RecordHeaderSize;
                    if (bytes + payload > maxPayloadBytes && (records.Count > 0 || end > next))
                        break;
                    bytes += payload;
                }

                if (end == next)
                    break;
                ReadRecords(segment, next, end - 1, records);
                next = end;
                if (end <= limit)
                    break;
            }

            return records;
        }
        finally
        {
            _state.ExitReadLock();
        }
    }

    private void ReadRecords(LogSegment segment, long first, long last, List<LogRecord> records)
    {
        var start = segment.OffsetOf(first);
        var buffer = new byte[checked((int)(segment.EndOf(last) - start))];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = RandomAccess.Read(segment.Handle, buffer.AsSpan(read), start + read);
            if (n == 0)
                throw new LogCorruptedException($"{segment.Path} ends at {start + read}, before record {last} ends");
            read += n;
        }

        var position = 0;
        for (var index = first; index <= last; index++)
        {
            var span = buffer.AsSpan(position);
            if (!LogRecordFormat.TryReadRecordHeader(span, out var header) || header.Index != index
                || header.Size > span.Length
                || !LogRecordFormat.ChecksumMatches(span, header, span.Slice(LogRecordFormat.RecordHeaderSize, header.Length)))
                throw new LogCorruptedException($"Record {index} in {segment.Path} at offset {start + position} no longer matches its checksum");
            records.Add(new LogRecord(index, header.Term, header.IsConfiguration, header.CommandId,
                buffer.AsMemory(position + LogRecordFormat.RecordHeaderSize, header.Length)));
            position += (int)header.Size;
        }
    }

    // The segment holding `index`, which the caller knows to be in the log.
    private int FindSegment(long index) => IndexSearch.Holding(_segments, index, static segment => segment.FirstIndex);

    private LogSegment CreateSegment(long firstIndex)
    {
        var path = Path.Combine(_directory, LogSegment.NameOf(firstIndex));
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            Preallocate(handle, 0);
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        return new LogSegment(path, firstIndex, handle, 0);
    }

    private void SyncFolder()
    {
        DurableFiles.SyncFolder(_directory);
        Interlocked.Increment(ref _folderSyncs);
    }

    private LogFailedException Fail(Exception e)
    {
        var failure = new LogFailedException($"The log in {_directory} failed a write or sync and refuses every operation until the node restarts", e);
        Volatile.Write(ref _failure, failure);
        LogWriteFailed(_directory, e);
        return failure;
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Volatile.Read(ref _failure) is { } failure)
            throw new LogFailedException(failure.Message, failure.InnerException ?? failure);
    }

    public void Dispose()
    {
        lock (_writeGate)
        {
            if (_disposed)
                return;
            _state.EnterWriteLock();
            try
            {
                _disposed = true;
                foreach (var segment in _segments)
                    segment.Dispose();
                _segments.Clear();
            }
            finally
            {
                _state.ExitWriteLock();
            }

            _state.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The log in {Directory} failed a write or sync; it refuses every operation until the node restarts")]
    private partial void LogWriteFailed(string directory, Exception e);
}
