using System.Diagnostics;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Snapshots;

namespace RaftKV.Node.Raft;

/// <summary>
/// DotNext's view of the store: applies committed entries to <see cref="KeyValueStore"/>, writes snapshots, installs
/// the leader's, restores at start. Implements <see cref="IStateMachine"/> itself because DotNext's SimpleStateMachine
/// makes the next apply wait until a snapshot is written (0.8 s at 43 MB, about 40 s at 1 GB).
/// <para>
/// Threads: DotNext never calls <see cref="IStateMachine.ApplyAsync"/> concurrently (the applier). Applies take the
/// write side of <see cref="_lock"/>, client reads the read side, without blocking their thread while an apply holds it
/// (KvStateMachine.Reads.cs). A snapshot is begun by the applier, right after the
/// entry it is labelled with (<see cref="KeyValueStore.BeginSnapshot"/>: copy-on-write from then on), and written by a
/// background task in slices of at most <see cref="DefaultSliceKeys"/> keys and about 256 KB, each under the read lock, the file I/O outside
/// it: an apply waits at most for one slice. The finished file is fsync'd, renamed to <c>index-term</c> and only then
/// published as <see cref="ISnapshotManager.Snapshot"/>, up to which the write-ahead log may compact.
/// </para>
/// </summary>
internal sealed partial class KvStateMachine : IStateMachine, IAsyncDisposable
{
    /// <summary>Keys serialized per slice at most by default: about a millisecond of work for small values.</summary>
    public const int DefaultSliceKeys = 2048;

    private readonly DirectoryInfo _location;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);

    // One snapshot at a time (periodic or backup): the store copies on write for one snapshot only.
    private readonly SemaphoreSlim _snapshotSlot = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lock _publishGate = new();
    private readonly long _snapshotInterval;
    private readonly long _snapshotIntervalBytes;
    private readonly int _sliceKeys;
    private readonly ILogger _logger;
    private readonly SnapshotOffers _offers;
    private readonly SnapshotDownloader _downloader;
    private KeyValueStore _store = new();

    // Made once, not per applied entry (a method group makes a delegate each time it is passed).
    private readonly PubSub.WatchHub.View _watchView;
    private readonly PubSub.WatchHub.Before _watchBefore;
    private readonly Action<Func<KeyValueStore, Reply>, Action<Reply>> _processRead;

    // The nested entries of the Batch being applied, as slices of its payload (the applier's alone).
    private readonly List<System.Buffers.ReadOnlySequence<byte>> _batchEntries = [];

    // The store's clock (its last entry timestamp), published for readers that must not wait for the apply lock.
    private long _storeNow;
    private SnapshotFile? _snapshot;
    private bool _restored;
    private Task _writing = Task.CompletedTask;
    private CancellationTokenSource? _writingCancel;
    private long _appliedIndex;
    private long _appliedTerm;
    private long _lastSnapshotStart;

    // Payload bytes applied since the last snapshot began (or was restored): the log the next snapshot will compact.
    private long _bytesSinceSnapshot;
    private int _restoreCount;
    private int _snapshotRequested;
    private long _batchesApplied;
    private long _lastSnapshotMilliseconds = -1;
    private long _lastSnapshotBytes;
    private long _lastSnapshotPreImages;
    private long _lastSnapshotLongestSliceMicros;
    private long _snapshotsWritten;
    private GcActivity _lastSnapshotGc = GcActivity.None;

    /// <param name="snapshotInterval">Snapshot after this many applied entries.</param>
    /// <param name="snapshotIntervalBytes">
    /// Also snapshot once the entries applied since the last one hold this many payload bytes, or as many as the last
    /// snapshot file if that is larger (as Redis rewrites its AOF once it has doubled): the log, which DotNext keeps
    /// memory-mapped until a snapshot lets it delete the chunks, stays near the size of the state, and a large state is
    /// not rewritten for every few MiB of writes. Group commit packs hundreds of commands into one entry, so a count of
    /// entries alone let 1M small SETs grow the log to 80 MiB of mapped pages without a snapshot.
    /// </param>
    public KvStateMachine(DirectoryInfo location, long snapshotInterval, ILogger logger, int sliceKeys = DefaultSliceKeys,
        long snapshotIntervalBytes = long.MaxValue, SnapshotOffers? offers = null, System.Net.Security.SslClientAuthenticationOptions? downloadTls = null)
    {
        location.Create();
        _location = location;
        _snapshotInterval = Math.Max(1, snapshotInterval);
        _snapshotIntervalBytes = Math.Max(1, snapshotIntervalBytes);
        _sliceKeys = Math.Max(1, sliceKeys);
        _logger = logger;
        _offers = offers ?? new SnapshotOffers(long.MaxValue);
        _offers.ClusterSecret = () => ClusterSecret;
        _downloader = new SnapshotDownloader(location, Load, logger, downloadTls);
        _watchView = (byte[] key, out ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> held, out bool hasValue) => _store.WatchView(key, out value, out held, out hasValue);
        _watchBefore = (int index, bool exists, out ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> held) => _store.WatchBefore(index, exists, out value, out held);
        _processRead = ProcessRead;
    }

    /// <summary>The snapshots this node offers for download (the leader's side of a large InstallSnapshot).</summary>
    public SnapshotOffers Offers => _offers;

    /// <summary>Snapshot downloads from the leader (the follower's side of a large InstallSnapshot).</summary>
    public SnapshotDownloader Downloads => _downloader;

    /// <summary>The folder snapshot files live in.</summary>
    public DirectoryInfo Location => _location;

    /// <summary>
    /// Delivers an applied PUBLISH entry to this node's subscribers and returns the reply (the local receiver count).
    /// PUBLISH leaves the keyspace unchanged, so the state stays a function of the log.
    /// </summary>
    public Func<LogCommand, Reply>? Publisher { get; set; }

    /// <summary>
    /// Called with the arguments of every applied client command (wakes blocked clients on the leader); returns what
    /// completes once the clients it woke have tried again, which the entry's replies wait for (<see cref="WakeHold"/>).
    /// </summary>
    public Func<byte[][], Task?>? Touched { get; set; }

    /// <summary>Told each command a script or function runs, at apply or in a read (feeds MONITOR clients).</summary>
    public Action<byte[][]>? ScriptCallObserver
    {
        get => _store.ScriptCallObserver;
        set => _store.ScriptCallObserver = value;
    }

    /// <summary>
    /// Called after an applied FLUSHALL or FLUSHDB, which changes keys without naming them: every blocked client looks
    /// again (an XREADGROUP whose stream is gone is answered with an error, as in Redis).
    /// </summary>
    public Func<Task?>? TouchedAll { get; set; }

    /// <summary>Told the keys each applied command changed, while it listens (CLIENT TRACKING).</summary>
    public IKeyChangeSink? KeyChanges { get; set; }

    /// <summary>The changes gRPC Watch streams, fed after each command's apply (set before the node starts).</summary>
    public PubSub.WatchHub? Watch { get; set; }

    public long AppliedIndex => Volatile.Read(ref _appliedIndex);

    /// <summary>The index of the published snapshot (the log is compacted up to it), 0 when there is none.</summary>
    public long SnapshotIndex => Volatile.Read(ref _snapshot)?.Index ?? 0;

    /// <summary>The published snapshot (what the log compacts up to and sends to a lagging follower), or null.</summary>
    internal SnapshotFile? PublishedSnapshot => Volatile.Read(ref _snapshot);

    /// <summary>Duration of the last snapshot this node wrote, in ms (-1 before the first).</summary>
    public long LastSnapshotMilliseconds => Interlocked.Read(ref _lastSnapshotMilliseconds);

    public long LastSnapshotBytes => Interlocked.Read(ref _lastSnapshotBytes);

    /// <summary>Keys the last snapshot had to copy because a write reached them before the snapshot did.</summary>
    public long LastSnapshotPreImages => Interlocked.Read(ref _lastSnapshotPreImages);

    /// <summary>The longest the last snapshot held the read lock for one slice (the most an apply waited for it), in µs.</summary>
    public long LastSnapshotLongestSliceMicros => Interlocked.Read(ref _lastSnapshotLongestSliceMicros);

    /// <summary>What the garbage collector did while the last snapshot was written.</summary>
    public GcActivity LastSnapshotGc => Volatile.Read(ref _lastSnapshotGc);

    /// <summary>Snapshots written and published by this process (not counting installed ones).</summary>
    public long SnapshotsWritten => Interlocked.Read(ref _snapshotsWritten);

    /// <summary>Group-commit entries applied by this process.</summary>
    public long BatchesApplied => Interlocked.Read(ref _batchesApplied);

    /// <summary>How many snapshots this process has loaded (at start or installed from the leader).</summary>
    public int RestoreCount => Volatile.Read(ref _restoreCount);

    /// <summary>For tests: runs on the snapshot writer's thread after each slice but the last, outside the lock.</summary>
    internal Action? BetweenSlices { get; set; }

    /// <summary>For tests: runs when a snapshot from the leader has been received and verified, before it replaces the state.</summary>
    internal Func<Task>? BeforeInstall { get; set; }

    /// <summary>True while a snapshot is being written in the background.</summary>
    public bool IsSnapshotting => !Volatile.Read(ref _writing).IsCompleted;

    ISnapshot? ISnapshotManager.Snapshot => _restored
        ? Volatile.Read(ref _snapshot)
        : throw new InvalidOperationException("Restore the state machine (RestoreAsync) before building the write-ahead log on it.");

    /// <summary>Makes the next applied entry start a snapshot, whatever the interval (RAFTKV.SNAPSHOT).</summary>
    public void RequestSnapshot() => Volatile.Write(ref _snapshotRequested, 1);

    /// <summary>The state machine's clock (the largest applied entry timestamp, Unix ms), read without the apply lock.</summary>
    public long StoreNow => Volatile.Read(ref _storeNow);

    /// <summary>
    /// The applied cluster secret (a copy), or null before one is committed: never show it to a client or a log. Read
    /// without the apply lock (it is set once): connecting to a member must not wait for an entry being applied.
    /// </summary>
    public byte[]? ClusterSecret => Volatile.Read(ref _store).ClusterSecret;

    /// <summary>The ACL users as last applied, read without the apply lock (the table publishes immutable states).</summary>
    public RaftKV.StateMachine.Acl.AclUsers Acl => Volatile.Read(ref _store).Acl.Current;

    /// <summary>tracking-table-max-keys as last applied, read without the apply lock.</summary>
    public long TrackingTableMaxKeys => Volatile.Read(ref _store).Config.TrackingTableMaxKeys;

    /// <summary>acllog-max-len as last applied (read without the apply lock).</summary>
    public long AclLogMaxLen => Volatile.Read(ref _store).Config.AclLogMaxLen;

    /// <summary>slowlog-log-slower-than and slowlog-max-len as last applied, read without the apply lock.</summary>
    public (long SlowerThanMicros, long MaxLen) Slowlog
    {
        get
        {
            var config = Volatile.Read(ref _store).Config;
            return (config.SlowlogLogSlowerThan, config.SlowlogMaxLen);
        }
    }

    /// <summary>latency-monitor-threshold (milliseconds, 0: off) as last applied, read without the apply lock.</summary>
    public long LatencyMonitorThreshold => Volatile.Read(ref _store).Config.LatencyMonitorThreshold;

    /// <summary>maxmemory-policy as last applied, read without the apply lock.</summary>
    public string MaxMemoryPolicy => Volatile.Read(ref _store).Config.MaxMemoryPolicy;

    /// <summary>maxmemory as last applied, read without the apply lock.</summary>
    public long MaxMemoryBytes => Volatile.Read(ref _store).Config.MaxMemoryBytes;

    /// <summary>maxmemory-policy parsed, read without the apply lock.</summary>
    public RaftKV.StateMachine.Eviction.EvictionPolicy EvictionPolicy => Volatile.Read(ref _store).Config.EvictionPolicy;

    /// <summary>
    /// For tests: runs before the entry at the given index is applied (a slow apply on one node), by DotNext's applier
    /// and by RaftKV's log's (<see cref="Log.RaftLog"/>).
    /// </summary>
    internal Func<long, Task>? BeforeApply { get; set; }

    /// <summary>For tests: runs on the applier under the write lock, before the entry at the given index (an apply that holds the state long).</summary>
    internal Action<long>? WhileApplying { get; set; }

    ValueTask<long> IStateMachine.ApplyAsync(LogEntry entry, CancellationToken token) =>
        BeforeApply is { } hook ? ApplyAfterAsync(hook, entry, token) : ApplyNow(entry, token);

    private async ValueTask<long> ApplyAfterAsync(Func<long, Task> hook, LogEntry entry, CancellationToken token)
    {
        await hook(entry.Index).ConfigureAwait(false);
        return await ApplyNow(entry, token).ConfigureAwait(false);
    }

    private ValueTask<long> ApplyNow(LogEntry entry, CancellationToken token)
    {
        var applied = AppliedIndex;
        if (entry.Index <= applied)
            return ValueTask.FromResult(applied);
        if (entry.IsSnapshot)
            return InstallAsync(entry, entry.Index, entry.Term, token);

        var payload = !entry.IsConfiguration && entry.TryGetPayload(out var bytes) ? bytes : default;
        return ValueTask.FromResult(ApplyCommitted(entry.Index, entry.Term, payload, entry.Context));
    }

    /// <summary>
    /// Applies the committed entry at <paramref name="index"/> (a command, a group-commit batch, or nothing for an empty
    /// payload: a no-op or configuration entry) and completes <paramref name="context"/>, the leader's pending write,
    /// with its reply. The one apply path of both logs: DotNext's (through <see cref="IStateMachine.ApplyAsync"/>) and
    /// RaftKV's own (<see cref="Log.RaftLog"/>'s applier). Entries are applied one at a time, in index order; an index
    /// at or below <see cref="AppliedIndex"/> is skipped. Returns the applied index.
    /// </summary>
    internal long ApplyCommitted(long index, long term, System.Buffers.ReadOnlySequence<byte> payload, object? context)
    {
        var applied = AppliedIndex;
        if (index <= applied)
            return applied;

        Volatile.Write(ref _appliedTerm, term);
        if (!payload.IsEmpty)
        {
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                var hash = new System.IO.Hashing.XxHash32();
                foreach (var segment in payload)
                    hash.Append(segment.Span);
                LogApplying(index, term, hash.GetCurrentHashAsUInt32(), context is not null);
            }

            ApplyCommand(index, context, payload);
            _bytesSinceSnapshot += payload.Length;
        }

        Volatile.Write(ref _appliedIndex, index);
        // Never while a script is suspended: the state then reflects neither the entries deferred behind it nor all of it.
        if (Volatile.Read(ref _suspension) is null && (Volatile.Read(ref _snapshotRequested) == 1 || SnapshotDue(index)))
            TryBeginSnapshot(index, term);
        return index;
    }

    // Every snapshot interval; postponed while a follower downloads the current snapshot (a newer one would replace it
    // under the download), within a bound on the log kept meanwhile.
    private bool SnapshotDue(long index)
    {
        // Runs after every applied entry: the two counters first, the last snapshot's size only past the byte interval.
        var since = index - _lastSnapshotStart;
        if (since < _snapshotInterval && _bytesSinceSnapshot < _snapshotIntervalBytes)
            return false;
        var lastBytes = Volatile.Read(ref _snapshot) is { } last && last.File.Exists ? last.File.Length : 0;
        if (since < _snapshotInterval && _bytesSinceSnapshot < lastBytes)
            return false;
        return !_offers.IsServing
               || since >= SnapshotOffers.PostponeFactor * _snapshotInterval
               || _bytesSinceSnapshot >= SnapshotOffers.PostponeFactor * Math.Max(_snapshotIntervalBytes, lastBytes);
    }

    private void ApplyCommand(long index, object? context, System.Buffers.ReadOnlySequence<byte> payload)
    {
        // A Batch's nested entries are decoded from slices of the payload, not from copies of them.
        var isBatch = LogEntryCodec.TryPeekCommand(payload, out var id) && id == CommandId.Batch;
        LogCommand command;
        try
        {
            command = isBatch ? LogEntryCodec.DecodeSlices(payload, _batchEntries) : LogEntryCodec.Decode(payload);
        }
        catch (LogEntryFormatException e)
        {
            // Every replica holds the same bytes, so skipping is deterministic; the client learns of it.
            LogUndecodableEntry(index, e);
            (context as PendingWrite)?.Complete(Reply.Error("ERR log entry could not be decoded"));
            return;
        }

        _lock.EnterWriteLock();
        _wakeHolds = null;
        var keyChanges = KeyChanges is { IsListening: true } sink ? sink : null;
        _store.RecordsKeyChanges = keyChanges is not null || Watch is not null;
        _store.RecordsValuesBefore = Watch is not null;
        try
        {
            WhileApplying?.Invoke(index);
            if (!isBatch)
            {
                Process(index, 0, command, new ReplyTarget(context as PendingWrite));
                return;
            }

            // Group commit: whole encoded entries, applied in order, each with its own timestamp and seed. On the
            // leader, reads pipelined after a connection's writes run at their place among them (none on followers).
            Interlocked.Increment(ref _batchesApplied);
            var batch = context as BatchedWrite;
            var count = _batchEntries.Count;
            for (var i = 0; i < count; i++)
            {
                batch?.TakeReads(i, _processRead);
                var complete = new ReplyTarget(batch, i);
                LogCommand item;
                try
                {
                    item = LogEntryCodec.Decode(_batchEntries[i]);
                }
                catch (LogEntryFormatException e)
                {
                    LogUndecodableEntry(index, e);
                    complete.Invoke(Reply.Error("ERR log entry could not be decoded"));
                    continue;
                }

                Process(index, i, item, complete);
            }

            batch?.TakeReads(count, _processRead);
        }
        finally
        {
            // The slices point into the payload, which the log may reuse once this returns.
            _batchEntries.Clear();
            if (_wakeHolds is { } holds)
            {
                WakeHold.Attach(context, holds);
                _wakeHolds = null;
            }

            // Inside the lock, so that a backup begun under it is labelled with the index its state reflects.
            Volatile.Write(ref _appliedIndex, index);
            keyChanges?.EntryApplied();
            ExitWriteLock();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_lifetime.IsCancellationRequested)
            return;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        await Volatile.Read(ref _writing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _writingCancel?.Dispose();
        _downloader.Dispose();
        _lifetime.Dispose();
        _lock.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Applying entry {Index}, term {Term}, payload hash {Hash:x8}, local context {HasContext}")]
    private partial void LogApplying(long index, long term, uint hash, bool hasContext);

    [LoggerMessage(Level = LogLevel.Error, Message = "Log entry {Index} could not be decoded and was skipped")]
    private partial void LogUndecodableEntry(long index, Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying log entry {Index} ({Command}) threw")]
    private partial void LogApplyFailed(long index, string command, Exception e);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Snapshot written at index {Index}, term {Term}: {Bytes} bytes in {Milliseconds} ms, {PreImages} keys copied on write")]
    private partial void LogSnapshotWritten(long index, long term, long bytes, long milliseconds, long preImages);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot at index {Index} cancelled")]
    private partial void LogSnapshotCancelled(long index);

    [LoggerMessage(Level = LogLevel.Error, Message = "Snapshot at index {Index} failed; the log is kept until a later one succeeds")]
    private partial void LogSnapshotFailed(long index, Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "State restored from snapshot at index {Index}, term {Term} ({File})")]
    private partial void LogSnapshotRestored(long index, long term, string file);
}
