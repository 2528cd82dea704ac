using System.Collections;
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

    ValueTask<TResult> IAuditTrail<IRaftLogEntry>.ReadAsync<TResult>(
        ILogEntryConsumer<IRaftLogEntry, TResult> reader, long startIndex, long endIndex, CancellationToken token)
        => IsReplication(reader)
            ? ReadAsync(new BoundedBatchReader<TResult>(reader, ReplicationBatchBytes, ReplicationBatchEntries, OnBatchCut), startIndex, endIndex, token)
            : ReadAsync(reader, startIndex, endIndex, token);

    private void OnBatchCut()
    {
        Interlocked.Increment(ref _cutBatches);
        BatchCut?.Invoke();
    }

    internal static bool IsReplication(object reader)
        => reader.GetType() is { IsGenericType: true } type && type.GetGenericTypeDefinition() == ReplicationProcessType;

    /// <summary>Hands its consumer the longest prefix of the entries within the limits (a snapshot passes whole).</summary>
    internal sealed class BoundedBatchReader<TResult>(
        ILogEntryConsumer<IRaftLogEntry, TResult> inner, long maxBytes, int maxEntries, Action? cut = null)
        : ILogEntryConsumer<IRaftLogEntry, TResult>
    {
        public bool LogEntryMetadataOnly => inner.LogEntryMetadataOnly;

        public ValueTask<TResult> ReadAsync<TEntryImpl, TList>(TList entries, long? snapshotIndex, CancellationToken token)
            where TEntryImpl : IRaftLogEntry
            where TList : IReadOnlyList<TEntryImpl>
        {
            var count = snapshotIndex.HasValue ? entries.Count : PrefixLength<TEntryImpl, TList>(entries, maxBytes, maxEntries);
            if (count == entries.Count)
                return inner.ReadAsync<TEntryImpl, TList>(entries, snapshotIndex, token);
            cut?.Invoke();
            return inner.ReadAsync<TEntryImpl, Prefix<TEntryImpl, TList>>(new Prefix<TEntryImpl, TList>(entries, count), snapshotIndex, token);
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
