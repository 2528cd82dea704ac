using System.Reflection;
using DotNext.IO.Log;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RaftKV.Node.Raft;

/// <summary>
/// DotNext's write-ahead log, with durable follower acknowledgements. In DotNext 6.12 a follower answers
/// AppendEntries after appending to memory-mapped pages but before they reach disk: only a background flusher syncs
/// them and writes the checkpoint, and a restart drops everything after the checkpoint. A follower killed within
/// that window (a few ms) forgets entries it acknowledged, and if the leader also dies, a committed write is lost.
/// Re-implementing the producer overload of AppendAsync (the one AppendEntries uses) to wait for
/// <see cref="WriteAheadLog.FlushAsync(CancellationToken)"/> makes the acknowledgement mean "on disk".
/// The leader's own appends need no change: DotNext commits an index only after flushing it locally.
///
/// It also fixes snapshot installation (chaos bug 4). DotNext 6.12 keeps a follower's whole log tail after an
/// installed snapshot (<c>LastEntryIndex = max(tail, snapshotIndex)</c>) whatever that tail holds. Raft keeps the
/// entries after the snapshot only when the log has the snapshot's last entry (same index and term); otherwise the
/// tail belongs to a deposed leader's abandoned history and must go. Kept, it is applied on top of the snapshot once
/// a later commit covers it (or once the node itself is elected), which mixes two histories: replicas diverge and
/// reads see a state no sequence of writes produced.
///
/// And it keeps a deposed leader from appending under the next leader's term (chaos bug 5). DotNext 6.12's
/// <c>ReplicateAsync</c> stamps a write with the node's current term and appends it with no lock against term
/// changes, while an AppendEntries or vote from a newer leader raises that term before the node steps down. A write
/// that slipped in between (a leader resuming from SIGSTOP with client writes queued, for instance) landed at an index
/// where the new leader had a different entry of the same term: the new leader's prevLogIndex/prevLogTerm check
/// matched it, the follower kept it and applied it, and the replicas diverged. Raft lets only the elected leader of a
/// term create entries of that term, so a leader append is accepted only when the entry's term is the node's current
/// term and the node raised its term to it itself (as a candidate, <see cref="IPersistentState.IncrementTermAsync"/>);
/// term changes and leader appends are serialized so the check cannot go stale before the entry is written. A refused
/// append fails with <see cref="NotLeaderException"/> (the client sees an unknown outcome).
///
/// And it keeps DotNext's background flusher from failing the WAL after a snapshot install (chaos bug 6). The flusher
/// reads the snapshot index before it takes the WAL's read lock and never again in that round; everything else
/// (log tail, flush position) it reads under the lock. A round that began before an install (woken by the commit of
/// the previous AppendEntries) waits for the lock behind it, then flushes from its old flush position up to the new
/// tail, the snapshot index: the metadata of entries the log never had. Beyond the tail's metadata page that page does
/// not exist, the flusher dies with MissingPageException, and from then on every append, commit and read fails with
/// "WAL page N doesn't exist on the disk": the node stays up and useless. The state machine is therefore wrapped
/// (<see cref="SnapshotInstallGuard"/>) so that, still under the install's exclusive lock, the flush position moves to
/// just after the snapshot: whatever snapshot index a flusher holds, it then starts at or after the first entry the
/// log really has after the snapshot.
/// </summary>
internal sealed partial class DurableWriteAheadLog(
    WriteAheadLog.Options options, DurableWriteAheadLog.SnapshotInstallGuard installGuard, bool durableAppends, Func<bool> diskLow, ILogger? logger)
    : WriteAheadLog(options, installGuard), IPersistentState, IAuditTrail<IRaftLogEntry>, IReplicatedLog
{
    public DurableWriteAheadLog(
        WriteAheadLog.Options options, IStateMachine stateMachine, bool durableAppends, Func<bool> diskLow, ILogger? logger = null)
        : this(options, new SnapshotInstallGuard(stateMachine), durableAppends, diskLow, logger)
    {
    }

    // The base class's own IPersistentState term updates: explicit implementations, reachable only through the
    // interface map. Looked up once, like the members below: a DotNext upgrade that changes them fails at startup.
    private static readonly Func<WriteAheadLog, ClusterMemberId, CancellationToken, ValueTask<long>> BaseIncrementTerm =
        FindImplementation(nameof(IPersistentState.IncrementTermAsync))
            .CreateDelegate<Func<WriteAheadLog, ClusterMemberId, CancellationToken, ValueTask<long>>>();
    private static readonly Func<WriteAheadLog, long, bool, CancellationToken, ValueTask> BaseUpdateTerm =
        FindImplementation(nameof(IPersistentState.UpdateTermAsync))
            .CreateDelegate<Func<WriteAheadLog, long, bool, CancellationToken, ValueTask>>();

    private static readonly VotedFor BaseIsVotedFor =
        FindImplementation(nameof(IPersistentState.IsVotedFor)).CreateDelegate<VotedFor>();

    private delegate bool VotedFor(WriteAheadLog log, in ClusterMemberId member);

    private readonly SemaphoreSlim _termGate = new(1, 1);
    private long _lastHeardLeader = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>How long after hearing a leader (or starting) the node refuses votes: ElectionTimeoutMinMs with the leader lease on, else zero.</summary>
    public TimeSpan VoteRefusal { get; init; }

    public TimeSpan SinceLeaderHeard => System.Diagnostics.Stopwatch.GetElapsedTime(Volatile.Read(ref _lastHeardLeader));

    bool IPersistentState.IsVotedFor(in ClusterMemberId member)
        => SinceLeaderHeard >= VoteRefusal && BaseIsVotedFor(this, in member);
    private long _electedTerm;
    private long _rejectedLeaderAppends;

    // DotNext gives no way to drop an uncommitted tail except overwriting it with new entries, so the installer sets
    // the same state an overwrite sets, through the private members an overwrite uses. Looked up once: a DotNext
    // upgrade that renames them fails at startup (TypeInitializationException), never silently.
    private static readonly MethodInfo SetLastEntryIndex = FindSetter("LastEntryIndex");
    private static readonly MethodInfo SetUnflushedIndex = FindSetter("UnflushedIndex");
    private static readonly FieldInfo LastWrittenIndex =
        typeof(WriteAheadLog).GetField("lastWrittenIndex", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingFieldException(nameof(WriteAheadLog), "lastWrittenIndex");

    // The WAL's own lock (append, then overwrite: excludes appends, commits, readers and the flusher's round), taken
    // while a conflicting tail is dropped, as DotNext takes it to overwrite entries.
    private static readonly FieldInfo LockManager =
        typeof(WriteAheadLog).GetField("lockManager", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingFieldException(nameof(WriteAheadLog), "lockManager");
    private static readonly MethodInfo AcquireAppendLock = FindLockMethod("AcquireAppendLockAsync", typeof(CancellationToken));
    private static readonly MethodInfo UpgradeToOverwriteLock = FindLockMethod("UpgradeToOverwriteLockAsync", typeof(CancellationToken));
    private static readonly MethodInfo ReleaseAppendLock = FindLockMethod("ReleaseAppendLock");

    private static readonly FieldInfo BackgroundTaskFailure =
        typeof(WriteAheadLog).GetField("backgroundTaskFailure", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingFieldException(nameof(WriteAheadLog), "backgroundTaskFailure");

    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>
    /// Why DotNext's background flusher, applier or log cleanup stopped, or null. Once set, the WAL fails every append,
    /// commit and read with <see cref="WriteAheadLog.InternalException"/> until the process restarts (it never
    /// recovers by itself): the host stops the node then (chaos bug 6).
    /// </summary>
    public Exception? BackgroundFailure => BackgroundTaskFailure.GetValue(this) as Exception;
    private long _flushedAppends;
    private long _droppedTails;

    /// <summary>How many snapshot installations dropped a log tail that conflicted with the snapshot.</summary>
    public long DroppedTails => Interlocked.Read(ref _droppedTails);

    /// <summary>How many AppendEntries batches were flushed before being acknowledged (for tests and INFO).</summary>
    public long FlushedAppends => Interlocked.Read(ref _flushedAppends);

    ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token)
    {
        HeardLeader();
        return diskLow() && entries.RemainingCount > 0
            ? ValueTask.FromException(new IOException("the data disk is nearly full: this follower refuses to append"))
            : durableAppends
            ? AppendAndFlushAsync(entries, startIndex, skipCommitted, token)
            : AppendAsync(entries, startIndex, skipCommitted, token);
    }

    private async ValueTask AppendAndFlushAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        var count = entries.RemainingCount;
        var tailBefore = LastEntryIndex;
        var commitBefore = LastCommittedEntryIndex;
        await AppendAsync(entries, startIndex, skipCommitted, token).ConfigureAwait(false);
        if (_logger.IsEnabled(LogLevel.Debug))
            LogFollowerAppend(startIndex, count, tailBefore, commitBefore, LastEntryIndex, LastCommittedEntryIndex);
        await FlushAsync(token).ConfigureAwait(false);
        Interlocked.Increment(ref _flushedAppends);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "AppendEntries at {Start}: {Count} entries, log tail {TailBefore} -> {TailAfter}, commit index {CommitBefore} -> {CommitAfter}")]
    private partial void LogFollowerAppend(long start, long count, long tailBefore, long commitBefore, long tailAfter, long commitAfter);

    /// <summary>Leader appends refused because this node's term had moved past the term it was elected in.</summary>
    public long RejectedLeaderAppends => Interlocked.Read(ref _rejectedLeaderAppends);

    // A candidate's new term: the only term in which this node may become leader and append entries of its own.
    async ValueTask<long> IPersistentState.IncrementTermAsync(ClusterMemberId member, CancellationToken token)
    {
        await _termGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            var term = await BaseIncrementTerm(this, member, token).ConfigureAwait(false);
            Volatile.Write(ref _electedTerm, term);
            return term;
        }
        finally
        {
            _termGate.Release();
        }
    }

    // A term learned from another node (RaftCluster calls it before stepping down): this node leads no longer.
    async ValueTask IPersistentState.UpdateTermAsync(long term, bool resetLastVote, CancellationToken token)
    {
        await _termGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            await BaseUpdateTerm(this, term, resetLastVote, token).ConfigureAwait(false);
        }
        finally
        {
            _termGate.Release();
        }
    }

    // The leader's appends at the tail: client writes (ReplicateAsync), the no-op of a new term, membership entries.
    ValueTask<long> IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, CancellationToken token)
        => AppendAsLeaderAsync(entry, token);

    private async ValueTask<long> AppendAsLeaderAsync<TEntry>(TEntry entry, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        await _termGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            var current = ((IPersistentState)this).Term;
            var elected = Volatile.Read(ref _electedTerm);
            if (entry.Term != current || current != elected)
            {
                Interlocked.Increment(ref _rejectedLeaderAppends);
                LogRejectedLeaderAppend(LastEntryIndex + 1, entry.Term, current, elected);
                throw new NotLeaderException();
            }

            var index = await AppendAsync(entry, token).ConfigureAwait(false);
            if (_logger.IsEnabled(LogLevel.Debug))
                LogLeaderAppend(index, entry.Term, current, elected);
            return index;
        }
        finally
        {
            _termGate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a leader append at index {Index} with term {EntryTerm}: this node's term is {Term}, and the term it was elected in is {ElectedTerm}")]
    private partial void LogRejectedLeaderAppend(long index, long entryTerm, long term, long electedTerm);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Leader append at {Index}, term {EntryTerm} (node term {Term}, elected in {ElectedTerm})")]
    private partial void LogLeaderAppend(long index, long entryTerm, long term, long electedTerm);

    private static MethodInfo FindImplementation(string name)
    {
        var map = typeof(WriteAheadLog).GetInterfaceMap(typeof(IPersistentState));
        var slot = Array.FindIndex(map.InterfaceMethods, m => m.Name == name);
        return slot >= 0 && map.TargetMethods[slot].DeclaringType == typeof(WriteAheadLog)
            ? map.TargetMethods[slot]
            : throw new MissingMethodException(nameof(WriteAheadLog), "IPersistentState." + name);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _termGate.Dispose();
        base.Dispose(disposing);
    }

    // RaftCluster calls the producer overload of AppendAsync for every AppendEntries whose previous entry matched, and
    // this one for InstallSnapshot: both come from a leader of the current term.
    private void HeardLeader() => Volatile.Write(ref _lastHeardLeader, System.Diagnostics.Stopwatch.GetTimestamp());

    ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, long startIndex, CancellationToken token)
    {
        HeardLeader();
        return entry.IsSnapshot ? InstallSnapshotAsync(entry, startIndex, token) : AppendAsync(entry, startIndex, token);
    }

    // The follower's side of InstallSnapshot. RaftCluster calls it under its transition lock, so no AppendEntries
    // runs between reading the term and truncating.
    private async ValueTask InstallSnapshotAsync<TEntry>(TEntry snapshot, long snapshotIndex, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        var tail = LastEntryIndex;
        var conflicting = tail > snapshotIndex
            && await ReadAsync(TermReader.Instance, snapshotIndex, snapshotIndex, token).ConfigureAwait(false) != snapshot.Term;
        installGuard.Expect(this);
        try
        {
            await AppendAsync(snapshot, snapshotIndex, token).ConfigureAwait(false);
        }
        finally
        {
            installGuard.Expect(null);
        }

        if (!conflicting || LastEntryIndex <= snapshotIndex)
            return;

        // What an overwrite at snapshotIndex + 1 would leave: the tail unreachable, the flusher restarting after the
        // snapshot, and the next checkpoint recording the shorter log (so a restart does not bring the tail back).
        // Under the WAL's overwrite lock, as DotNext overwrites: a flusher round that read the longer tail has ended
        // (else it could set its flush position past the entries that will replace the tail) and the next re-reads.
        var locks = LockManager.GetValue(this)!;
        await ((ValueTask)AcquireAppendLock.Invoke(locks, [token])!).ConfigureAwait(false);
        try
        {
            await ((ValueTask)UpgradeToOverwriteLock.Invoke(locks, [token])!).ConfigureAwait(false);
            SetLastEntryIndex.Invoke(this, [snapshotIndex]);
            LastWrittenIndex.SetValue(this, snapshotIndex);
            SetUnflushedIndex.Invoke(this, [snapshotIndex + 1]);
        }
        finally
        {
            ReleaseAppendLock.Invoke(locks, null);
        }

        Interlocked.Increment(ref _droppedTails);
        LogDroppedTail(snapshotIndex + 1, tail, snapshotIndex, snapshot.Term);
        await FlushAsync(token).ConfigureAwait(false);
    }

    // Runs inside DotNext's install, under its overwrite lock, right after the state machine took the snapshot and
    // before the log tail becomes max(tail, snapshot index). Nothing up to the snapshot index needs flushing any more;
    // after it there is either nothing (tail <= snapshot) or the kept tail, whose entries are all written.
    private void OnSnapshotApplied(long snapshotIndex) => SetUnflushedIndex.Invoke(this, [snapshotIndex + 1]);

    private static MethodInfo FindSetter(string property)
        => typeof(WriteAheadLog).GetProperty(property, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetSetMethod(nonPublic: true)
           ?? throw new MissingMethodException(nameof(WriteAheadLog), property + ".set");

    private static MethodInfo FindLockMethod(string name, params Type[] parameters)
        => LockManager.FieldType.GetMethod(name, BindingFlags.Instance | BindingFlags.Public, parameters)
           ?? throw new MissingMethodException(LockManager.FieldType.FullName, name);

    /// <summary>
    /// The state machine as DotNext's WAL sees it: forwards everything, and when the WAL installs a snapshot that this
    /// log is installing (<see cref="InstallSnapshotAsync"/>), moves the WAL's flush position past the snapshot before
    /// DotNext releases its install lock.
    /// </summary>
    internal sealed class SnapshotInstallGuard(IStateMachine inner) : IStateMachine
    {
        private DurableWriteAheadLog? _installer;

        public ISnapshot? Snapshot => inner.Snapshot;

        int IStateMachine.Version => inner.Version;

        internal void Expect(DurableWriteAheadLog? installer) => Volatile.Write(ref _installer, installer);

        public ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token)
            => entry.IsSnapshot ? InstallAsync(entry, token) : inner.ApplyAsync(entry, token);

        public ValueTask ReclaimGarbageAsync(long watermark, CancellationToken token) => inner.ReclaimGarbageAsync(watermark, token);

        private async ValueTask<long> InstallAsync(LogEntry entry, CancellationToken token)
        {
            var applied = await inner.ApplyAsync(entry, token).ConfigureAwait(false);

            // The index DotNext takes for the snapshot (its commit index and the tail's lower bound) right after this.
            Volatile.Read(ref _installer)?.OnSnapshotApplied(inner.Snapshot?.Index ?? entry.Index);
            return applied;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Dropped log entries {First}..{Last}: they conflict with the snapshot installed at index {SnapshotIndex}, term {Term}")]
    private partial void LogDroppedTail(long first, long last, long snapshotIndex, long term);

    /// <summary>Reads one entry's term from its metadata (a snapshot answers its own term).</summary>
    private sealed class TermReader : ILogEntryConsumer<IRaftLogEntry, long>
    {
        public static readonly TermReader Instance = new();

        public bool LogEntryMetadataOnly => true;

        public ValueTask<long> ReadAsync<TEntryImpl, TList>(TList entries, long? snapshotIndex, CancellationToken token)
            where TEntryImpl : IRaftLogEntry
            where TList : IReadOnlyList<TEntryImpl>
            => new(entries[0].Term);
    }
}
