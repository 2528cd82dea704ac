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
/// </summary>
internal sealed partial class DurableWriteAheadLog(
    WriteAheadLog.Options options, IStateMachine stateMachine, bool durableAppends, Func<bool> diskLow, ILogger? logger = null)
    : WriteAheadLog(options, stateMachine), IPersistentState, IAuditTrail<IRaftLogEntry>
{
    // The base class's own IPersistentState term updates: explicit implementations, reachable only through the
    // interface map. Looked up once, like the members below: a DotNext upgrade that changes them fails at startup.
    private static readonly Func<WriteAheadLog, ClusterMemberId, CancellationToken, ValueTask<long>> BaseIncrementTerm =
        FindImplementation(nameof(IPersistentState.IncrementTermAsync))
            .CreateDelegate<Func<WriteAheadLog, ClusterMemberId, CancellationToken, ValueTask<long>>>();
    private static readonly Func<WriteAheadLog, long, bool, CancellationToken, ValueTask> BaseUpdateTerm =
        FindImplementation(nameof(IPersistentState.UpdateTermAsync))
            .CreateDelegate<Func<WriteAheadLog, long, bool, CancellationToken, ValueTask>>();

    private readonly SemaphoreSlim _termGate = new(1, 1);
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

    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private long _flushedAppends;
    private long _droppedTails;

    /// <summary>How many snapshot installations dropped a log tail that conflicted with the snapshot.</summary>
    public long DroppedTails => Interlocked.Read(ref _droppedTails);

    /// <summary>How many AppendEntries batches were flushed before being acknowledged (for tests and INFO).</summary>
    public long FlushedAppends => Interlocked.Read(ref _flushedAppends);

    ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token)
        => diskLow() && entries.RemainingCount > 0
            ? ValueTask.FromException(new IOException("the data disk is nearly full: this follower refuses to append"))
            : durableAppends
            ? AppendAndFlushAsync(entries, startIndex, skipCommitted, token)
            : AppendAsync(entries, startIndex, skipCommitted, token);

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

    ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, long startIndex, CancellationToken token)
        => entry.IsSnapshot ? InstallSnapshotAsync(entry, startIndex, token) : AppendAsync(entry, startIndex, token);

    // The follower's side of InstallSnapshot. RaftCluster calls it under its transition lock, so no AppendEntries
    // runs between reading the term and truncating.
    private async ValueTask InstallSnapshotAsync<TEntry>(TEntry snapshot, long snapshotIndex, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        var tail = LastEntryIndex;
        var conflicting = tail > snapshotIndex
            && await ReadAsync(TermReader.Instance, snapshotIndex, snapshotIndex, token).ConfigureAwait(false) != snapshot.Term;
        await AppendAsync(snapshot, snapshotIndex, token).ConfigureAwait(false);
        if (!conflicting || LastEntryIndex <= snapshotIndex)
            return;

        // What an overwrite at snapshotIndex + 1 would leave: the tail unreachable, the flusher restarting after the
        // snapshot, and the next checkpoint recording the shorter log (so a restart does not bring the tail back).
        SetLastEntryIndex.Invoke(this, [snapshotIndex]);
        LastWrittenIndex.SetValue(this, snapshotIndex);
        SetUnflushedIndex.Invoke(this, [snapshotIndex + 1]);
        Interlocked.Increment(ref _droppedTails);
        LogDroppedTail(snapshotIndex + 1, tail, snapshotIndex, snapshot.Term);
        await FlushAsync(token).ConfigureAwait(false);
    }

    private static MethodInfo FindSetter(string property)
        => typeof(WriteAheadLog).GetProperty(property, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetSetMethod(nonPublic: true)
           ?? throw new MissingMethodException(nameof(WriteAheadLog), property + ".set");

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
