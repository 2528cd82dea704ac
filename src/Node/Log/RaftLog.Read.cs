using System.Runtime.CompilerServices;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;

namespace RaftKV.Node.Log;

/// <summary>
/// Reads: replication (bounded by construction, bug 2), term lookups from memory, the snapshot for a follower whose
/// next index the log no longer holds (with the reply to a snapshot the follower already has taken as success, bug 7).
/// </summary>
internal sealed partial class RaftLog
{
    // Replication consumers (one per member and leader term) whose last exchange failed: they get a heartbeat instead
    // of entries until one succeeds. Keyed by identity, held weakly: a consumer dies with its term.
    private readonly ConditionalWeakTable<object, object> _probing = new();
    private long _probedReplications;

    /// <summary>Replication reads answered with a heartbeat because the member's last exchange failed.</summary>
    public long ProbedReplications => Interlocked.Read(ref _probedReplications);

    ValueTask<TResult> IAuditTrail<IRaftLogEntry>.ReadAsync<TResult>(
        ILogEntryConsumer<IRaftLogEntry, TResult> reader, long startIndex, long endIndex, CancellationToken token)
        => ReadAsync<IRaftLogEntry, TResult>(reader, startIndex, endIndex, token);

    ValueTask<TResult> IAuditTrail.ReadAsync<TResult>(ILogEntryConsumer<ILogEntry, TResult> reader, long startIndex, long endIndex, CancellationToken token)
        => ReadAsync<ILogEntry, TResult>(reader, startIndex, endIndex, token);

    /// <summary>
    /// A prefix of <c>[start, end]</c>: at least one entry, at most <see cref="RaftLogOptions.ReplicationBatchBytes"/> of
    /// payload and <see cref="RaftLogOptions.ReplicationBatchEntries"/> entries (DotNext's replication sends what it is
    /// given and goes on from there), empty for <c>start &gt; end</c> (a heartbeat). An index the log no longer holds
    /// (compacted into the snapshot) yields the snapshot alone, with its index. Metadata-only reads (term lookups) come
    /// from the terms in memory, no disk read.
    /// </summary>
    private async ValueTask<TResult> ReadAsync<TEntry, TResult>(ILogEntryConsumer<TEntry, TResult> reader, long start, long end, CancellationToken token)
        where TEntry : class, ILogEntry
    {
        ThrowIfFailed();

        // A truncation's disk work holds the log's state: a term lookup would wait for it (Execution/SocketThreads.cs).
        if (_log.Mutating)
            await Execution.SocketThreads.Leave();
        end = Math.Min(end, _log.LastIndex);
        if (start > end)
            return await reader.ReadAsync<TEntry, TEntry[]>([], null, token).ConfigureAwait(false);

        if (start >= _log.FirstIndex)
        {
            if (reader.LogEntryMetadataOnly)
            {
                if (TryReadMetadata<TEntry>(start, end) is { } terms)
                    return await reader.ReadAsync<TEntry, TEntry[]>(terms, null, token).ConfigureAwait(false);
            }
            else if (_probing.TryGetValue(reader, out _))
            {
                Interlocked.Increment(ref _probedReplications);
                return await ExchangeAsync<TEntry, TResult>(reader, [], token).ConfigureAwait(false);
            }
            else if (await ReadEntriesAsync<TEntry>(start, end).ConfigureAwait(false) is { } entries)
            {
                return await ExchangeAsync(reader, entries, token).ConfigureAwait(false);
            }
        }

        // Compacted (or compacted between the check and the read): the snapshot stands for every index up to its own.
        if (_stateMachine.PublishedSnapshot is { } snapshot && start <= snapshot.Index)
        {
            var result = await reader.ReadAsync<TEntry, TEntry[]>([(TEntry)(object)snapshot], snapshot.Index, token).ConfigureAwait(false);
            return AcceptHeldSnapshot(result, snapshot.Index);
        }

        if (start == 0 && reader.LogEntryMetadataOnly)
            return await reader.ReadAsync<TEntry, TEntry[]>([(TEntry)(object)StoredEntry.Metadata(0, 0)], null, token).ConfigureAwait(false);
        throw new InvalidOperationException($"Index {start} is neither in the log [{_log.FirstIndex}, {_log.LastIndex}] nor in a snapshot");
    }

    // The entries to replicate, from memory when they are the tail just appended (the usual round), else from the disk
    // (a lagging member's), which a socket event thread leaves first (Execution/SocketThreads.cs). Null when the range is
    // no longer in the log.
    private async ValueTask<TEntry[]?> ReadEntriesAsync<TEntry>(long start, long end)
        where TEntry : class, ILogEntry
    {
        if (TryRead<TEntry>(start, end, memoryOnly: true, out var onDisk) is { } entries)
            return entries;
        if (!onDisk)
            return null;
        await Execution.SocketThreads.Leave();
        return TryRead<TEntry>(start, end, memoryOnly: false, out _);
    }

    /// <summary>
    /// Hands <paramref name="entries"/> to a replication consumer, which sends them to its member. A member that did not
    /// answer (down, unreachable, timed out) gets a heartbeat next instead of entries, and entries again once it answers
    /// (etcd's probe state): the log reads, checksums and allocates a batch of up to
    /// <see cref="RaftLogOptions.ReplicationBatchBytes"/> for every round, and with a member down the 100 MB
    /// snapshot-transfer test did that about 280 times (275 MB of large-object allocations and reads) only for the
    /// connection to be refused each time. DotNext's own log hands lazily read entries.
    /// </summary>
    private async ValueTask<TResult> ExchangeAsync<TEntry, TResult>(ILogEntryConsumer<TEntry, TResult> reader, TEntry[] entries, CancellationToken token)
        where TEntry : class, ILogEntry
    {
        TResult result;
        try
        {
            result = await reader.ReadAsync<TEntry, TEntry[]>(entries, null, token).ConfigureAwait(false);
        }
        catch
        {
            _probing.AddOrUpdate(reader, reader);
            throw;
        }

        _probing.Remove(reader);
        return result;
    }

    private TEntry[]? TryReadMetadata<TEntry>(long start, long end)
        where TEntry : class, ILogEntry
    {
        end = Math.Min(end, start + _options.ReplicationBatchEntries - 1);
        var entries = new TEntry[end - start + 1];
        try
        {
            for (var index = start; index <= end; index++)
                entries[index - start] = (TEntry)(object)StoredEntry.Metadata(index, _log.TermAt(index));
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }

        return entries;
    }

    private TEntry[]? TryRead<TEntry>(long start, long end, bool memoryOnly, out bool onDisk)
        where TEntry : class, ILogEntry
    {
        onDisk = false;
        IReadOnlyList<LogRecord> records;
        try
        {
            var read = memoryOnly
                ? _log.ReadFromMemory(start, end, _options.ReplicationBatchBytes, _options.ReplicationBatchEntries)
                : _log.Read(start, end, _options.ReplicationBatchBytes, _options.ReplicationBatchEntries);
            if (read is null)
            {
                onDisk = true;
                return null;
            }

            records = read;
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or LogCorruptedException)
        {
            throw Failed(e);
        }

        var entries = new TEntry[records.Count];
        for (var i = 0; i < records.Count; i++)
            entries[i] = (TEntry)(object)new StoredEntry(records[i]);
        if (records.Count < end - start + 1)
        {
            Interlocked.Increment(ref _cutBatches);
            BatchCut?.Invoke();
        }

        return entries;
    }

    /// <summary>
    /// Chaos bug 7: DotNext's follower refuses a snapshot whose index its commit index has reached (an install that
    /// finished after the leader's request timed out) with a plain Rejected, and DotNext's leader then sends the same
    /// snapshot again, forever. A Rejected reply in a term no higher than the one this node leads in can only mean that
    /// refusal (the other one is a higher term), and a follower whose commit index reached the snapshot holds every
    /// entry up to it: the reply is taken as Replicated (Raft §7). Public types only: the reply's type is tested, never
    /// reinterpreted.
    /// </summary>
    private TResult AcceptHeldSnapshot<TResult>(TResult result, long snapshotIndex)
    {
        if (result is not Result<ReplicationStatus> reply || reply.Value.Result != HeartbeatResult.Rejected)
            return result;
        var elected = Volatile.Read(ref _electedTerm);
        if (elected != Volatile.Read(ref _term) || reply.Term > elected)
            return result;

        Interlocked.Increment(ref _heldSnapshots);
        LogSnapshotHeld(snapshotIndex);
        object accepted = reply with { Value = reply.Value with { Result = HeartbeatResult.Replicated } };
        return (TResult)accepted;
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "A follower refused snapshot {Index} because it already holds it (an earlier install finished after the leader's request timed out); replicating from the entry after it")]
    private partial void LogSnapshotHeld(long index);
}
