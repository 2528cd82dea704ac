using System.Collections;
using System.Runtime.CompilerServices;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;

namespace RaftKV.Node.Raft;

/// <summary>
/// Bounded AppendEntries (chaos bug 2). DotNext 6.12's leader sends a lagging follower everything it misses in one
/// AppendEntries request, and that request, including the follower's fsync, must finish within the Raft request
/// timeout, which must itself stay below the election timeout (chaos bug 1). A backlog too large for one request was
/// re-sent forever and the follower never caught up. The leader reads the entries to send through this log, so
/// reads made by DotNext's replication process are cut to at most <see cref="ReplicationBatchBytes"/> (and
/// <see cref="ReplicationBatchEntries"/>): the process sends that prefix, records how far it got, and the next round
/// sends the rest. Sending a prefix of the missing entries is ordinary Raft; commit still needs a majority.
/// </summary>
internal sealed partial class DurableWriteAheadLog
{
    // DotNext's per-follower replication process (internal); found by name once, so a DotNext upgrade that renames it
    // fails at startup instead of silently sending unbounded batches again.
    private static readonly Type ReplicationProcessType =
        typeof(RaftCluster).Assembly.GetType("DotNext.Net.Cluster.Consensus.Raft.ReplicationUtils.ReplicationProcess`1")
        ?? throw new TypeLoadException("DotNext's ReplicationProcess`1 was not found: check DurableWriteAheadLog.Replication against this DotNext version");

    /// <summary>Most payload bytes one AppendEntries carries (at least one entry is always sent).</summary>
    public long ReplicationBatchBytes { get; init; } = 1 << 20;

    /// <summary>Most entries one AppendEntries carries.</summary>
    public int ReplicationBatchEntries { get; init; } = 4096;

    /// <summary>
    /// Called when a batch was cut short, so that the rest follows at once instead of at the next heartbeat (the host
    /// starts another replication round).
    /// </summary>
    public Action? BatchCut { get; set; }

    private long _cutBatches;

    /// <summary>How many AppendEntries batches were cut to the limits (for INFO).</summary>
    public long CutBatches => Interlocked.Read(ref _cutBatches);

    private long _heldSnapshots;

    /// <summary>InstallSnapshot replies taken as success because the follower already held the snapshot (for INFO).</summary>
    public long HeldSnapshots => Interlocked.Read(ref _heldSnapshots);

    ValueTask<TResult> IAuditTrail<IRaftLogEntry>.ReadAsync<TResult>(
        ILogEntryConsumer<IRaftLogEntry, TResult> reader, long startIndex, long endIndex, CancellationToken token)
        => IsReplication(reader)
            ? ReadAsync(new BoundedBatchReader<TResult>(reader, ReplicationBatchBytes, ReplicationBatchEntries, OnBatchCut, LeaderTermOf(reader), OnSnapshotHeld), startIndex, endIndex, token)
            : ReadAsync(reader, startIndex, endIndex, token);

    private static readonly System.Reflection.PropertyInfo ReplicationTerm =
        ReplicationProcessType.GetProperty("Term")
        ?? throw new MissingMemberException(ReplicationProcessType.FullName, "Term");

    // The term the replication process sends in (the term this node leads in), read when a snapshot reply comes back.
    private static Func<long> LeaderTermOf(object process)
        => () => (long)process.GetType().GetProperty(ReplicationTerm.Name)!.GetValue(process)!;

    private void OnSnapshotHeld(long snapshotIndex)
    {
        Interlocked.Increment(ref _heldSnapshots);
        LogSnapshotHeld(snapshotIndex);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "A follower refused snapshot {Index} because it already holds it (an earlier install finished after the leader's request timed out); replicating from the entry after it")]
    private partial void LogSnapshotHeld(long index);

    private void OnBatchCut()
    {
        Interlocked.Increment(ref _cutBatches);
        BatchCut?.Invoke();
    }

    internal static bool IsReplication(object reader)
        => reader.GetType() is { IsGenericType: true } type && type.GetGenericTypeDefinition() == ReplicationProcessType;

    /// <summary>
    /// Hands its consumer the longest prefix of the entries within the limits (a snapshot passes whole).
    /// <para>
    /// And it repairs DotNext 6.12's answer to a snapshot the follower already holds (chaos bug 7). A follower refuses
    /// InstallSnapshot when its commit index has reached the snapshot's index, with a plain Rejected; the leader then
    /// takes one off the follower's next index and, that still being inside its snapshot, sends the same snapshot
    /// again: refused again, forever, until the leader happens to take a newer snapshot. It happens whenever an
    /// install completes on the follower after the leader's request timed out. A Rejected reply to InstallSnapshot in
    /// a term no higher than the leader's can only mean that refusal, and a follower whose commit index has reached
    /// the snapshot holds every entry up to it: the reply is taken as Replicated, and replication goes on from the
    /// entry after the snapshot (as Raft §7 has a follower that already has the snapshot's last entry answer).
    /// </para>
    /// </summary>
    internal sealed class BoundedBatchReader<TResult>(
        ILogEntryConsumer<IRaftLogEntry, TResult> inner, long maxBytes, int maxEntries, Action? cut = null,
        Func<long>? leaderTerm = null, Action<long>? held = null)
        : ILogEntryConsumer<IRaftLogEntry, TResult>
    {
        public bool LogEntryMetadataOnly => inner.LogEntryMetadataOnly;

        public ValueTask<TResult> ReadAsync<TEntryImpl, TList>(TList entries, long? snapshotIndex, CancellationToken token)
            where TEntryImpl : IRaftLogEntry
            where TList : IReadOnlyList<TEntryImpl>
        {
            if (snapshotIndex is { } index)
            {
                var reply = inner.ReadAsync<TEntryImpl, TList>(entries, snapshotIndex, token);
                return leaderTerm is not null && typeof(TResult) == typeof(Result<ReplicationStatus>)
                    ? AcceptHeldSnapshotAsync(reply, index, leaderTerm)
                    : reply;
            }

            var count = PrefixLength<TEntryImpl, TList>(entries, maxBytes, maxEntries);
            if (count == entries.Count)
                return inner.ReadAsync<TEntryImpl, TList>(entries, snapshotIndex, token);
            cut?.Invoke();
            return inner.ReadAsync<TEntryImpl, Prefix<TEntryImpl, TList>>(new Prefix<TEntryImpl, TList>(entries, count), snapshotIndex, token);
        }

        private async ValueTask<TResult> AcceptHeldSnapshotAsync(ValueTask<TResult> pending, long snapshotIndex, Func<long> term)
        {
            var result = await pending.ConfigureAwait(false);
            var reply = Unsafe.As<TResult, Result<ReplicationStatus>>(ref result);
            if (reply.Value.Result != HeartbeatResult.Rejected || reply.Term > term())
                return result;

            reply = reply with { Value = reply.Value with { Result = HeartbeatResult.Replicated } };
            held?.Invoke(snapshotIndex);
            return Unsafe.As<Result<ReplicationStatus>, TResult>(ref reply);
        }
    }

    internal static int PrefixLength<TEntry, TList>(TList entries, long maxBytes, int maxEntries)
        where TEntry : IRaftLogEntry
        where TList : IReadOnlyList<TEntry>
    {
        var count = 0;
        var bytes = 0L;
        while (count < entries.Count && count < maxEntries)
        {
            var length = entries[count].Length ?? 0;
            if (count > 0 && bytes + length > maxBytes)
                break;
            bytes += length;
            count++;
        }

        return count;
    }

    /// <summary>The first <c>count</c> items of a list, without copying.</summary>
    internal readonly struct Prefix<T, TList>(TList list, int count) : IReadOnlyList<T>
        where TList : IReadOnlyList<T>
    {
        public int Count => count;

        public T this[int index] => (uint)index < (uint)count ? list[index] : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<T> GetEnumerator()
        {
            for (var i = 0; i < count; i++)
                yield return list[i];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
