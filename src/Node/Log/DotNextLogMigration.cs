using System.IO.Hashing;
using System.Net;
using DotNext.IO.Log;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using RaftKV.Node.Raft;

namespace RaftKV.Node.Log;

/// <summary>
/// Carries a data directory's DotNext log (<c>wal/</c>) over to RaftKV's log (<c>log/</c>) before the node opens it
/// (docs/write-ahead-log.md, section 7). DotNext's log is read through its public API only: a plain
/// <see cref="WriteAheadLog"/> over <c>wal/</c>, its hashes verified by <see cref="WriteAheadLog.InitializeAsync"/>, the
/// term from <see cref="IPersistentState.Term"/>, the vote probed with <see cref="IPersistentState.IsVotedFor"/>, and
/// every entry after the state machine's snapshot read with <see cref="IAuditTrail{TEntry}.ReadAsync{TResult}"/>.
/// <para>
/// Crash safety: everything is written to <c>log.migrating/</c> and read back; a marker file
/// (<see cref="CommitMarker"/>) goes in with it, all fsync'd; renaming <c>log.migrating</c> to <c>log</c> is the commit
/// point. Then <c>wal</c> is renamed to <c>wal.migrated</c> and the marker deleted. A crash before the commit point
/// leaves DotNext's log in place and a partial <c>log.migrating</c>, which the next start deletes and redoes; a crash
/// after it leaves <c>log</c> with the marker, and the next start finishes the retirement of <c>wal</c>.
/// </para>
/// </summary>
internal static partial class DotNextLogMigration
{
    public const string SourceFolder = "wal";
    public const string TargetFolder = "log";
    public const string StagingFolder = "log.migrating";
    public const string RetiredFolder = "wal.migrated";

    /// <summary>In <c>log/</c> from the commit point until <c>wal/</c> is renamed: the log there is the carried one.</summary>
    public const string CommitMarker = "migrated-from-wal";

    private const int ChunkEntries = 1024;

    /// <summary>
    /// An id no member has (port 0). Probed beside the members to tell "no vote" (every id is answered true) from a vote,
    /// and recorded as the vote when DotNext's log voted for a node that is not a known member: RaftKV's log then refuses
    /// every vote in that term, which is safe (the node had voted in it already).
    /// </summary>
    internal static readonly ClusterMemberId Nobody = ClusterMemberId.FromEndPoint(new IPEndPoint(IPAddress.Any, 0));

    /// <summary>True when <paramref name="dataDirectory"/> holds DotNext's log to carry over, or a carried log whose old files are not yet retired.</summary>
    public static bool IsPending(string dataDirectory) => IsCommitted(dataDirectory) || HasFiles(Path.Combine(dataDirectory, SourceFolder));

    /// <summary>True when <c>log/</c> is a carried log whose commit point was reached (<c>wal/</c> may still be there).</summary>
    public static bool IsCommitted(string dataDirectory) => File.Exists(Path.Combine(dataDirectory, TargetFolder, CommitMarker));

    /// <summary>
    /// Carries DotNext's log in <paramref name="dataDirectory"/> over (or finishes a carry-over a crash interrupted); does
    /// nothing when there is none. <paramref name="source"/> names <c>wal/</c> and the chunk size and hash algorithm it was
    /// written with; <paramref name="stateMachine"/> is restored (its snapshot index is where the carried log starts);
    /// <paramref name="members"/> are the ids the vote is probed with.
    /// </summary>
    /// <returns>What was carried, or null when nothing was.</returns>
    /// <exception cref="InvalidOperationException">The log could not be carried over; <c>wal/</c> is still in place and the node must not start.</exception>
    public static async Task<CarriedLog?> RunAsync(
        string dataDirectory, WriteAheadLog.Options source, KvStateMachine stateMachine, IReadOnlyCollection<ClusterMemberId> members, ILogger logger,
        CancellationToken token)
    {
        var wal = Path.Combine(dataDirectory, SourceFolder);
        var log = Path.Combine(dataDirectory, TargetFolder);
        var staging = Path.Combine(dataDirectory, StagingFolder);
        if (IsCommitted(dataDirectory))
        {
            Retire(dataDirectory);
            LogRetirementFinished(logger, wal);
            return null;
        }

        if (!HasFiles(wal))
            return null;
        if (HasFiles(log))
            throw new InvalidOperationException($"{dataDirectory} holds both DotNext's log (wal) and RaftKV's (log): move the one not in use away");
        if (Directory.Exists(Path.Combine(dataDirectory, RetiredFolder)))
            throw new InvalidOperationException(
                $"{Path.Combine(dataDirectory, RetiredFolder)} exists from an earlier carry-over: move it away so that {wal} can be carried over and retired");

        if (Directory.Exists(staging))
        {
            LogRedo(logger, staging);
            Directory.Delete(staging, recursive: true);
            DurableFiles.SyncFolder(dataDirectory);
        }

        CarriedLog carried;
        try
        {
            carried = await CopyAsync(source, staging, stateMachine, members, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException(
                $"Could not carry DotNext's log in {wal} over to RaftKV's log; {wal} is still in place and the node does not start "
                + "(run the release it was written with, or replace this member with an empty data directory: README, \"Replace a failed node\")", e);
        }

        using (var marker = new FileStream(Path.Combine(staging, CommitMarker), FileMode.CreateNew, FileAccess.Write, FileShare.None))
            marker.Flush(flushToDisk: true);
        DurableFiles.SyncFolder(staging);
        if (Directory.Exists(log))
            Directory.Delete(log); // empty (HasFiles was false): Directory.Move wants the name free
        Directory.Move(staging, log);
        DurableFiles.SyncFolder(dataDirectory);
        Retire(dataDirectory);
        LogCarried(logger, wal, carried.Term, carried.Vote?.ToString() ?? "none", carried.First, carried.Last, carried.SnapshotIndex);
        return carried;
    }

    // After the commit point: wal/ becomes wal.migrated/, then the marker goes.
    private static void Retire(string dataDirectory)
    {
        var wal = Path.Combine(dataDirectory, SourceFolder);
        var retired = Path.Combine(dataDirectory, RetiredFolder);
        if (Directory.Exists(wal))
        {
            if (Directory.Exists(retired))
                throw new InvalidOperationException($"{retired} exists: move it away so that the carried-over {wal} can be retired");
            Directory.Move(wal, retired);
            DurableFiles.SyncFolder(dataDirectory);
        }

        var log = Path.Combine(dataDirectory, TargetFolder);
        File.Delete(Path.Combine(log, CommitMarker));
        DurableFiles.SyncFolder(log);
    }

    private static async Task<CarriedLog> CopyAsync(
        WriteAheadLog.Options source, string staging, KvStateMachine stateMachine, IReadOnlyCollection<ClusterMemberId> members, CancellationToken token)
    {
        var snapshot = ((ISnapshotManager)stateMachine).Snapshot;
        var after = snapshot?.Index ?? 0;
        var dotNext = new WriteAheadLog(source, new SnapshotOnlyStateMachine(snapshot));
        await using (dotNext.ConfigureAwait(false))
        {
            // With a hash algorithm configured this verifies every entry after the snapshot (HashMismatchException).
            await dotNext.InitializeAsync(token).ConfigureAwait(false);
            IPersistentState state = dotNext;
            var term = state.Term;
            var vote = VoteOf(state, members);
            var last = ((IAuditTrail)dotNext).LastEntryIndex;

            var copied = new List<ulong>();
            using (var target = SegmentedLog.Open(staging))
            {
                target.Reset(after + 1);
                for (var next = after + 1; next <= last;)
                {
                    var end = Math.Min(last, next + ChunkEntries - 1);
                    var batch = await ((IAuditTrail<IRaftLogEntry>)dotNext).ReadAsync(new BatchCopier(next, copied), next, end, token).ConfigureAwait(false);
                    if (batch.Count != end - next + 1)
                        throw new LogCorruptedException($"DotNext's log returned {batch.Count} entries for [{next}, {end}]");
                    target.Append(batch);
                    next = end + 1;
                }
            }

            Span<byte> voteBytes = stackalloc byte[ClusterMemberId.Size];
            vote?.Format(voteBytes);
            new TermVoteFile(staging).Save(term, vote is null ? [] : voteBytes);
            ReadBack(staging, after, last, copied, term, vote is null ? [] : voteBytes);
            return new CarriedLog(term, vote, after + 1, last, after);
        }
    }

    /// <summary>
    /// The vote DotNext's log holds in its term, through the public probe: true for <see cref="Nobody"/> means no vote;
    /// else the one member answered true; none answered true means a vote for a node not known here.
    /// </summary>
    internal static ClusterMemberId? VoteOf(IPersistentState state, IEnumerable<ClusterMemberId> members)
    {
        if (state.IsVotedFor(in Nobody))
            return null;
        var voted = members.Distinct().Where(id => state.IsVotedFor(in id)).ToList();
        return voted.Count switch
        {
            0 => Nobody,
            1 => voted[0],
            _ => throw new LogCorruptedException($"DotNext's log answers that it voted for {voted.Count} members in term {state.Term}"),
        };
    }

    // Everything written is opened again (segment recovery verifies each record's checksum) and compared with what was
    // read from DotNext's log: a carried log that does not read back is never published.
    private static void ReadBack(string staging, long after, long last, List<ulong> copied, long term, ReadOnlySpan<byte> vote)
    {
        using (var check = SegmentedLog.Open(staging))
        {
            var expectedLast = Math.Max(last, after);
            if (last > after ? check.FirstIndex != after + 1 || check.LastIndex != last : !check.IsEmpty)
                throw new LogCorruptedException($"The carried log reads back as [{check.FirstIndex}, {check.LastIndex}], not [{after + 1}, {expectedLast}]");
            for (var next = after + 1; next <= last;)
            {
                var records = check.Read(next, Math.Min(last, next + ChunkEntries - 1));
                foreach (var record in records)
                {
                    if (record.Index != next || Fingerprint(record.Term, record.IsConfiguration, record.CommandId, record.Payload.Span) != copied[(int)(next - after - 1)])
                        throw new LogCorruptedException($"Entry {next} of the carried log does not read back as it was read from DotNext's log");
                    next++;
                }
            }
        }

        var (savedTerm, savedVote) = new TermVoteFile(staging).Load();
        if (savedTerm != term || !savedVote.AsSpan().SequenceEqual(vote))
            throw new LogCorruptedException("The carried term and vote do not read back");
    }

    private static ulong Fingerprint(long term, bool isConfiguration, int? commandId, ReadOnlySpan<byte> payload)
    {
        var hash = new XxHash64();
        Span<byte> header = stackalloc byte[sizeof(long) + sizeof(int) + 2];
        BitConverter.TryWriteBytes(header, term);
        BitConverter.TryWriteBytes(header[sizeof(long)..], commandId.GetValueOrDefault());
        header[^2] = (byte)(commandId.HasValue ? 1 : 0);
        header[^1] = (byte)(isConfiguration ? 1 : 0);
        hash.Append(header);
        hash.Append(payload);
        return hash.GetCurrentHashAsUInt64();
    }

    private static bool HasFiles(string directory) => Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any();

    /// <summary>Reads one range of DotNext's log into a batch for RaftKV's (payloads are copied while DotNext's read lock is held).</summary>
    private sealed class BatchCopier(long first, List<ulong> fingerprints) : ILogEntryConsumer<IRaftLogEntry, LogBatch>
    {
        public async ValueTask<LogBatch> ReadAsync<TEntryImpl, TList>(TList entries, long? snapshotIndex, CancellationToken token)
            where TEntryImpl : IRaftLogEntry
            where TList : IReadOnlyList<TEntryImpl>
        {
            if (snapshotIndex is not null)
                throw new LogCorruptedException($"DotNext's log answered a read from {first} with its snapshot at {snapshotIndex}");
            var batch = new LogBatch(first);
            foreach (var entry in entries)
            {
                var index = first + batch.Count;
                if (entry.IsSnapshot || entry is LogEntry { Index: var stored } && stored != index)
                    throw new LogCorruptedException($"DotNext's log returned a snapshot or another index where entry {index} was expected");
                var payload = await RaftLog.PayloadOf(entry, token).ConfigureAwait(false);
                batch.Add(entry.Term, payload.Span, entry.IsConfiguration, entry.CommandId);
                fingerprints.Add(Fingerprint(entry.Term, entry.IsConfiguration, entry.CommandId, payload.Span));
            }

            return batch;
        }
    }

    /// <summary>
    /// What DotNext's <see cref="WriteAheadLog"/> needs to open the old log: the state machine's snapshot (so that hashes
    /// are verified, and entries read, only after it) and an apply that does nothing (the real state machine is fed by
    /// RaftKV's log afterwards).
    /// </summary>
    private sealed class SnapshotOnlyStateMachine(ISnapshot? snapshot) : IStateMachine
    {
        public ISnapshot? Snapshot => snapshot;

        public ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token) => new(entry.Index);

        public ValueTask ReclaimGarbageAsync(long watermark, CancellationToken token) => ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Carried DotNext's log in {Wal} over to RaftKV's log: term {Term}, vote {Vote}, entries {First}..{Last} (after the snapshot at {SnapshotIndex}); the old files are in wal.migrated")]
    private static partial void LogCarried(ILogger logger, string wal, long term, string vote, long first, long last, long snapshotIndex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Staging} is left from a carry-over a crash interrupted: deleted, the carry-over starts again")]
    private static partial void LogRedo(ILogger logger, string staging);

    [LoggerMessage(Level = LogLevel.Information, Message = "Finished retiring {Wal} after a carry-over a crash interrupted past its commit point")]
    private static partial void LogRetirementFinished(ILogger logger, string wal);
}
