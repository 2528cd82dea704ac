using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;

namespace RaftKV.Node.Log;

/// <summary>Appends: the leader's own entries, a follower's AppendEntries, InstallSnapshot.</summary>
internal sealed partial class RaftLog
{
    // The leader's appends at the tail: client writes (ReplicateAsync), the no-op of a new term, membership entries.
    // Refused unless the entry's term is the node's term and the term it raised itself to as a candidate (bug 5).
    async ValueTask<long> IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, CancellationToken token)
    {
        if (entry.IsSnapshot)
            throw new InvalidOperationException("A snapshot is installed at an index, never appended at the tail");
        var payload = await PayloadOf(entry, token).ConfigureAwait(false);
        await EnterGateAsync(token).ConfigureAwait(false);
        var syncing = false;
        try
        {
            ThrowIfFailed();
            var term = Volatile.Read(ref _term);
            var elected = Volatile.Read(ref _electedTerm);
            if (entry.Term != term || term != elected)
            {
                Interlocked.Increment(ref _rejectedLeaderAppends);
                LogRejectedLeaderAppend(_log.LastIndex + 1, entry.Term, term, elected);
                throw new NotLeaderException();
            }

            ThrowIfDiskLow();
            var batch = _log.NewBatch();
            batch.Add(entry.Term, payload.Span, entry.IsConfiguration, entry.CommandId);
            var index = batch.FirstIndex;

            // Registered before the append publishes the entry: a commit (one-node cluster) may apply it at once.
            var context = (entry as IInputLogEntry)?.Context;
            if (context is not null)
                _contexts[index] = context;
            try
            {
                syncing = _log.AppendWithoutSync(batch);
            }
            catch (Exception e)
            {
                _contexts.TryRemove(index, out _);
                throw Failed(e);
            }

            // The entry is readable now, so RaftCluster replicates it while this node's own fdatasync runs (Raft thesis
            // 10.2.1): the round and the sync overlap instead of following each other. The leader counts toward a
            // commit only once the sync is done (_matched caps CommitAsync), and the gate stays held until then, so
            // nothing else is written, truncated or installed meanwhile (at most one unsynced append, as recovery
            // requires). SyncLeaderAppend releases it.
            if (syncing)
                ThreadPool.UnsafeQueueUserWorkItem(static state => state.Log.SyncLeaderAppend(state.Index, state.Term), (Log: this, Index: index, Term: term), preferLocal: false);
            else
                Volatile.Write(ref _matched, index);
            return index;
        }
        finally
        {
            if (!syncing)
                _gate.Release();
        }
    }

    // The fdatasync of a leader append, after which the leader counts itself for it: the commit RaftCluster asked for
    // meanwhile (capped at the entries durable here then) moves on to it. Runs holding the gate, which it releases.
    private void SyncLeaderAppend(long index, long term)
    {
        try
        {
            _options.BeforeLeaderSync?.Invoke();
            _log.SyncTail();
            Volatile.Write(ref _matched, index);
        }
        catch (Exception e)
        {
            // Never acknowledged: the entry does not count here. The node stops (BackgroundFailure), as for any failed
            // sync; a waiting ReplicateAsync wakes up and sees the failure. At disposal the sync is merely cut short.
            if (!_lifetime.IsCancellationRequested)
                Failed(e);
            SignalApplied();
            return;
        }
        finally
        {
            _gate.Release();
        }

        if (LeaderCommitRequest(term) is { } requested)
            AdvanceCommit(requested);
    }

    // AppendEntries after RaftCluster matched prevLogIndex/prevLogTerm (under its transition lock).
    async ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token)
    {
        var received = new List<(long Term, bool IsConfiguration, int? CommandId, ReadOnlyMemory<byte> Payload)>();
        while (await entries.MoveNextAsync().ConfigureAwait(false))
        {
            var entry = entries.Current;
            received.Add((entry.Term, entry.IsConfiguration, entry.CommandId, await PayloadOf(entry, token).ConfigureAwait(false)));
        }

        await AppendAsFollowerAsync(received, startIndex, skipCommitted, token).ConfigureAwait(false);
    }

    async ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, long startIndex, CancellationToken token)
    {
        if (entry.IsSnapshot)
        {
            await InstallSnapshotAsync(entry, startIndex, token).ConfigureAwait(false);
            return;
        }

        var payload = await PayloadOf(entry, token).ConfigureAwait(false);
        await AppendAsFollowerAsync([(entry.Term, entry.IsConfiguration, entry.CommandId, payload)], startIndex, skipCommitted: false, token).ConfigureAwait(false);
    }

    /// <summary>
    /// Raft §5.3: entries at or below the commit index are skipped (or refused without <paramref name="skipCommitted"/>);
    /// an entry the log already holds with the same term is skipped; at the first index whose term differs the tail is
    /// truncated durably, and the rest is appended with one write and one fdatasync, before this returns (the
    /// acknowledgement follows). A late duplicate request therefore never cuts entries it does not conflict with.
    /// Records how far this request proved the log equal to the leader's (for <see cref="CommitAsync"/>).
    /// </summary>
    private async ValueTask AppendAsFollowerAsync(
        IReadOnlyList<(long Term, bool IsConfiguration, int? CommandId, ReadOnlyMemory<byte> Payload)> entries, long startIndex, bool skipCommitted,
        CancellationToken token)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(startIndex, 1);
        await EnterGateAsync(token).ConfigureAwait(false);
        try
        {
            ThrowIfFailed();
            var commit = Volatile.Read(ref _commitIndex);
            if (!skipCommitted && entries.Count > 0 && startIndex <= commit)
                throw new InvalidOperationException($"Entry {startIndex} is committed already (commit index {commit})");
            if (entries.Count > 0)
                ThrowIfDiskLow();

            LogBatch? batch = null;
            var index = startIndex;
            foreach (var entry in entries)
            {
                if (batch is null)
                {
                    if (index <= commit || index < _log.FirstIndex)
                    {
                        index++;
                        continue;
                    }

                    if (index <= _log.LastIndex)
                    {
                        if (_log.TermAt(index) == entry.Term)
                        {
                            index++;
                            continue;
                        }

                        LogConflict(index, _log.LastIndex, _log.TermAt(index), entry.Term);
                        Truncate(index);
                    }
                    else if (index > _log.LastIndex + 1)
                    {
                        throw new InvalidOperationException($"Entry {index} would leave a gap after the log's last entry {_log.LastIndex}");
                    }

                    batch = _log.NewBatch();
                }

                batch.Add(entry.Term, entry.Payload.Span, entry.IsConfiguration, entry.CommandId);
                index++;
            }

            if (batch is not null)
            {
                try
                {
                    if (_log.AppendWithoutSync(batch))
                    {
                        _options.BeforeFollowerSync?.Invoke();
                        _log.SyncTail();
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw Failed(e);
                }

                Interlocked.Increment(ref _flushedAppends);
            }

            Volatile.Write(ref _matched, Math.Min(index - 1, _log.LastIndex));
            HeardLeader();
        }
        finally
        {
            _gate.Release();
        }
    }

    // Drops the tail from `index`: never a committed entry. The caller holds the gate.
    private void Truncate(long index)
    {
        if (index <= Volatile.Read(ref _commitIndex))
            throw new InvalidOperationException($"Refusing to drop committed entry {index}");

        // What was matched from `index` on is gone: until a later append is synced and matched again, a rewritten entry
        // at the same index and term must not count as durable here (HoldsDurably, WAIT).
        long matched;
        do
        {
            matched = Volatile.Read(ref _matched);
            if (matched < index)
                break;
        }
        while (Interlocked.CompareExchange(ref _matched, index - 1, matched) != matched);

        try
        {
            _log.TruncateFrom(index);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failed(e);
        }

        foreach (var key in _contexts.Keys)
        {
            if (key >= index)
                _contexts.TryRemove(key, out _);
        }
    }

    /// <summary>
    /// The follower's side of InstallSnapshot (RaftCluster calls it under its transition lock, only for a snapshot past
    /// the commit index). The state machine installs the snapshot (a download manifest included) and makes it durable;
    /// then, Raft §7, the log after it is kept only if the log holds the snapshot's last entry with its term, else the
    /// whole log is dropped (bug 4); durable before this returns; the commit index becomes the snapshot's. A crash in
    /// between is repaired by the rule at open.
    /// </summary>
    private async ValueTask InstallSnapshotAsync<TEntry>(TEntry snapshot, long index, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        await EnterGateAsync(token).ConfigureAwait(false);
        try
        {
            ThrowIfFailed();
            await _applyGate.WaitAsync(token).ConfigureAwait(false);
            try
            {
                if (index <= _stateMachine.AppliedIndex)
                    return;
                var keep = snapshot.Term > 0 && TermOf(index) == snapshot.Term;
                var tail = _log.LastIndex;
                await _stateMachine.InstallAsync(snapshot, index, snapshot.Term, token).ConfigureAwait(false);
                try
                {
                    if (keep)
                        _log.DropPrefix(index);
                    else
                        _log.Reset(index + 1);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw Failed(e);
                }

                if (!keep && tail > index)
                {
                    Interlocked.Increment(ref _droppedTails);
                    LogDroppedTail(index + 1, tail, index, snapshot.Term);
                }

                foreach (var key in _contexts.Keys)
                {
                    if (!keep || key <= index)
                        _contexts.TryRemove(key, out _);
                }

                if (index > Volatile.Read(ref _commitIndex))
                    Volatile.Write(ref _commitIndex, index);
                Volatile.Write(ref _matched, index);
                HeardLeader();
            }
            finally
            {
                _applyGate.Release();
            }
        }
        finally
        {
            _gate.Release();
        }

        SignalApplied();
        TriggerApply();
    }

    private void ThrowIfDiskLow()
    {
        if (_options.DiskLow())
            throw new IOException("the data disk is nearly full: this node refuses to append");
    }

    internal static async ValueTask<ReadOnlyMemory<byte>> PayloadOf<TEntry>(TEntry entry, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        if (entry.TryGetMemory(out var memory))
            return memory;
        if (entry.Length == 0)
            return ReadOnlyMemory<byte>.Empty;
        using var buffer = new MemoryStream(entry.Length is { } length and <= int.MaxValue ? (int)length : 0);
        await entry.WriteToAsync(buffer, 1 << 16, token).ConfigureAwait(false);
        // The stream's own array (sized to the entry when its length is known), not a copy of it: disposing a
        // MemoryStream leaves its array as it is.
        return new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a leader append at index {Index} with term {EntryTerm}: this node's term is {Term}, and the term it was elected in is {ElectedTerm}")]
    private partial void LogRejectedLeaderAppend(long index, long entryTerm, long term, long electedTerm);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped log entries {First}..{Last}: they conflict with the snapshot installed at index {SnapshotIndex}, term {Term}")]
    private partial void LogDroppedTail(long first, long last, long snapshotIndex, long term);

    [LoggerMessage(Level = LogLevel.Information, Message = "Entry {Index} (term {OldTerm}) conflicts with the leader's (term {NewTerm}): dropping {Index}..{Last}")]
    private partial void LogConflict(long index, long last, long oldTerm, long newTerm);
}
