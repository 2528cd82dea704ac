using System.Reflection;
using DotNext.IO.Log;
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
/// </summary>
internal sealed partial class DurableWriteAheadLog(
    WriteAheadLog.Options options, IStateMachine stateMachine, bool durableAppends, Func<bool> diskLow, ILogger? logger = null)
    : WriteAheadLog(options, stateMachine), IAuditTrail<IRaftLogEntry>
{
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
        await AppendAsync(entries, startIndex, skipCommitted, token).ConfigureAwait(false);
        await FlushAsync(token).ConfigureAwait(false);
        Interlocked.Increment(ref _flushedAppends);
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
