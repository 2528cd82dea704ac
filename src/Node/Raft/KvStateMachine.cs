using System.IO.Pipelines;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Snapshots;

namespace RaftKV.Node.Raft;

/// <summary>
/// DotNext's view of the store: applies committed entries to <see cref="KeyValueStore"/>, writes and restores
/// snapshots. DotNext never calls <see cref="ApplyAsync"/> concurrently, and the next apply waits until a snapshot
/// started by the previous one is written, so the store is frozen while <see cref="PersistAsync"/> runs.
/// Client reads run concurrently with applies and take the read side of <see cref="_lock"/>.
/// </summary>
internal sealed partial class KvStateMachine : SimpleStateMachine
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly long _snapshotInterval;
    private readonly ILogger _logger;
    private KeyValueStore _store = new();
    private long _appliedIndex;
    private long _appliedTerm;
    private long _snapshotIndex;
    private int _restoreCount;
    private int _snapshotRequested;
    private long _batchesApplied;
    private long _lastSnapshotMilliseconds = -1;
    private long _lastSnapshotBytes;
    private long _snapshotsWritten;

    public KvStateMachine(DirectoryInfo location, long snapshotInterval, ILogger logger)
        : base(location)
    {
        _snapshotInterval = Math.Max(1, snapshotInterval);
        _logger = logger;
    }

    /// <summary>
    /// Delivers an applied PUBLISH entry to this node's subscribers and returns the reply (the local receiver count).
    /// PUBLISH leaves the keyspace unchanged, so the state stays a function of the log.
    /// </summary>
    public Func<LogCommand, Reply>? Publisher { get; set; }

    /// <summary>Called with the arguments of every applied client command (wakes blocked clients on the leader).</summary>
    public Action<byte[][]>? Touched { get; set; }

    public long AppliedIndex => Volatile.Read(ref _appliedIndex);

    public long SnapshotIndex => Volatile.Read(ref _snapshotIndex);

    /// <summary>Duration of the last snapshot this node wrote, in ms (-1 before the first).</summary>
    public long LastSnapshotMilliseconds => Interlocked.Read(ref _lastSnapshotMilliseconds);

    public long LastSnapshotBytes => Interlocked.Read(ref _lastSnapshotBytes);

    /// <summary>
    /// Snapshots written by this process. DotNext installs a written snapshot (and compacts the log) when it applies
    /// the next entry.
    /// </summary>
    public long SnapshotsWritten => Interlocked.Read(ref _snapshotsWritten);

    /// <summary>Group-commit entries applied by this process.</summary>
    public long BatchesApplied => Interlocked.Read(ref _batchesApplied);

    /// <summary>Makes the next applied entry start a snapshot, whatever the interval (RAFTKV.SNAPSHOT).</summary>
    public void RequestSnapshot() => Volatile.Write(ref _snapshotRequested, 1);

    /// <summary>How many snapshots this process has loaded (at start or installed from the leader).</summary>
    public int RestoreCount => Volatile.Read(ref _restoreCount);

    /// <summary>Runs <paramref name="reader"/> against the current state; it must not modify it.</summary>
    public T Read<T>(Func<KeyValueStore, T> reader)
    {
        _lock.EnterReadLock();
        try
        {
            return reader(_store);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    protected override ValueTask<bool> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        Volatile.Write(ref _appliedTerm, entry.Term);
        if (!entry.IsConfiguration && entry.TryGetPayload(out var payload) && !payload.IsEmpty)
        {
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                var hash = new System.IO.Hashing.XxHash32();
                foreach (var segment in payload)
                    hash.Append(segment.Span);
                LogApplying(entry.Index, entry.Term, hash.GetCurrentHashAsUInt32(), entry.Context is not null);
            }

            ApplyCommand(entry, payload);
        }

        Volatile.Write(ref _appliedIndex, entry.Index);
        var requested = Interlocked.Exchange(ref _snapshotRequested, 0) == 1;
        if (!requested && entry.Index - _snapshotIndex < _snapshotInterval)
            return ValueTask.FromResult(false);

        Volatile.Write(ref _snapshotIndex, entry.Index);
        return ValueTask.FromResult(true);
    }

    private void ApplyCommand(in LogEntry entry, System.Buffers.ReadOnlySequence<byte> payload)
    {
        LogCommand command;
        try
        {
            command = LogEntryCodec.Decode(payload);
        }
        catch (LogEntryFormatException e)
        {
            // Every replica holds the same bytes, so skipping is deterministic; the client learns of it.
            LogUndecodableEntry(entry.Index, e);
            (entry.Context as PendingWrite)?.Complete(Reply.Error("ERR log entry could not be decoded"));
            return;
        }

        _lock.EnterWriteLock();
        try
        {
            if (command.Command != CommandId.Batch)
            {
                // Apply first: `context?.Complete(Apply(...))` would skip the apply where there is no context
                // (followers, replay), since ?. short-circuits the argument too.
                var reply = ApplyOne(entry.Index, command);
                (entry.Context as PendingWrite)?.Complete(reply);
                return;
            }

            // Group commit: whole encoded entries, applied in order, each with its own timestamp and seed.
            Interlocked.Increment(ref _batchesApplied);
            var batch = entry.Context as BatchedWrite;
            for (var i = 0; i < command.Arguments.Length; i++)
            {
                Reply item;
                try
                {
                    item = ApplyOne(entry.Index, LogEntryCodec.Decode(new System.Buffers.ReadOnlySequence<byte>(command.Arguments[i])));
                }
                catch (LogEntryFormatException e)
                {
                    LogUndecodableEntry(entry.Index, e);
                    item = Reply.Error("ERR log entry could not be decoded");
                }

                batch?.Complete(i, item);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Applies one client command; the caller holds the write lock.</summary>
    private Reply ApplyOne(long index, LogCommand command)
    {
        if (command.Command == CommandId.Publish)
            return Publisher?.Invoke(command) ?? Reply.Zero;
        try
        {
            var reply = _store.Apply(command, index);

            // A blocking pop that found nothing changed nothing: waking its own waiter again would loop. Lock commands
            // name locks, not keys, and wake nobody.
            if (reply is not NullReply { Kind: NullKind.Array } && command.Command is not (CommandId.RaftkvLockAcquire
                    or CommandId.RaftkvLockRelease or CommandId.RaftkvLockRefresh or CommandId.LockLeaseExtend))
                Touched?.Invoke(command.Arguments);
            return reply;
        }
        catch (Exception e)
        {
            LogApplyFailed(index, command.Command.ToString(), e);
            return Reply.Error("ERR internal error while applying the command");
        }
    }

    protected override async ValueTask PersistAsync(IAsyncBinaryWriter writer, CancellationToken token)
    {
        var index = Volatile.Read(ref _appliedIndex);
        var term = Volatile.Read(ref _appliedTerm);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20));
        var producer = Task.Run(() =>
        {
            try
            {
                using var stream = pipe.Writer.AsStream(leaveOpen: true);
                Read(store =>
                {
                    SnapshotWriter.Write(store, stream, index, term);
                    return true;
                });
                stream.Flush();
                pipe.Writer.Complete();
            }
            catch (Exception e)
            {
                pipe.Writer.Complete(e);
                throw;
            }
        }, token);

        var counting = new CountingPipeReader(pipe.Reader);
        await writer.CopyFromAsync(counting, count: null, token).ConfigureAwait(false);
        await pipe.Reader.CompleteAsync().ConfigureAwait(false);
        await producer.ConfigureAwait(false);
        var elapsed = (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Interlocked.Exchange(ref _lastSnapshotMilliseconds, elapsed);
        Interlocked.Exchange(ref _lastSnapshotBytes, counting.BytesRead);
        Interlocked.Increment(ref _snapshotsWritten);
        LogSnapshotWritten(index, term, counting.BytesRead, elapsed);
    }

    /// <summary>Writes the current applied state as a snapshot (for backups); applies wait while it runs.</summary>
    public (long Index, long Term) WriteSnapshot(Stream output)
    {
        _lock.EnterReadLock();
        try
        {
            var index = Volatile.Read(ref _appliedIndex);
            var term = Volatile.Read(ref _appliedTerm);
            SnapshotWriter.Write(_store, output, index, term);
            return (index, term);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    protected override ValueTask RestoreAsync(FileInfo snapshotFile, CancellationToken token)
    {
        SnapshotContents contents;
        using (var stream = new FileStream(snapshotFile.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
        {
            contents = SnapshotReader.Read(stream);
        }

        _lock.EnterWriteLock();
        try
        {
            _store = contents.Store;
        }
        finally
        {
            _lock.ExitWriteLock();
        }

        Volatile.Write(ref _appliedIndex, contents.Index);
        Volatile.Write(ref _appliedTerm, contents.Term);
        Volatile.Write(ref _snapshotIndex, contents.Index);
        Interlocked.Increment(ref _restoreCount);
        LogSnapshotRestored(contents.Index, contents.Term, snapshotFile.FullName);
        return ValueTask.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Applying entry {Index}, term {Term}, payload hash {Hash:x8}, local context {HasContext}")]
    private partial void LogApplying(long index, long term, uint hash, bool hasContext);

    [LoggerMessage(Level = LogLevel.Error, Message = "Log entry {Index} could not be decoded and was skipped")]
    private partial void LogUndecodableEntry(long index, Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying log entry {Index} ({Command}) threw")]
    private partial void LogApplyFailed(long index, string command, Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot written at index {Index}, term {Term}: {Bytes} bytes in {Milliseconds} ms")]
    private partial void LogSnapshotWritten(long index, long term, long bytes, long milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "State restored from snapshot at index {Index}, term {Term} ({File})")]
    private partial void LogSnapshotRestored(long index, long term, string file);
}
