using System.Buffers;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace RaftKV.Node.Log;

/// <summary>
/// Commit and apply: the commit index lives in memory only; an applier task hands committed entries to the state
/// machine in order, and a compaction task drops the log up to each snapshot the state machine publishes.
/// </summary>
internal sealed partial class RaftLog
{
    /// <summary>
    /// Commit index = min(<paramref name="endIndex"/>, the last index known to match the leader's log), never
    /// backwards; no disk write. On a follower "known to match" is what the last AppendEntries proved (Raft's
    /// min(leaderCommit, index of last new entry)): the log keeps a non-conflicting tail, and a heartbeat must not commit
    /// a deposed leader's entries after the ones it compared. On the leader it is its last own append.
    /// </summary>
    ValueTask<long> IAuditTrail.CommitAsync(long endIndex, CancellationToken token)
    {
        ThrowIfFailed();
        RecordLeaderCommit(endIndex);
        return ValueTask.FromResult(AdvanceCommit(endIndex));
    }

    private long AdvanceCommit(long endIndex)
    {
        long before, target;
        do
        {
            before = Volatile.Read(ref _commitIndex);
            target = Math.Min(Math.Min(endIndex, Volatile.Read(ref _matched)), _log.LastIndex);
            if (target <= before)
                return 0;
        }
        while (Interlocked.CompareExchange(ref _commitIndex, target, before) != before);

        TriggerApply();
        return target - before;
    }

    // On the leader, a majority (counting this node for every entry it has written) holds up to the index RaftCluster
    // asks to commit; _matched holds the commit back to what is durable here, and the end of a leader append's sync
    // (SyncLeaderAppend) takes the request up again. Only a request of the term the node leads in counts.
    private void RecordLeaderCommit(long endIndex)
    {
        var term = Volatile.Read(ref _term);
        if (Volatile.Read(ref _electedTerm) != term)
            return;
        lock (_leaderCommitLock)
        {
            if (_leaderCommitTerm != term || endIndex > _leaderCommitRequest)
                (_leaderCommitTerm, _leaderCommitRequest) = (term, endIndex);
        }
    }

    private long? LeaderCommitRequest(long term)
    {
        lock (_leaderCommitLock)
            return _leaderCommitTerm == term ? _leaderCommitRequest : null;
    }

    ValueTask IAuditTrail.WaitForApplyAsync(long index, CancellationToken token) => WaitForApplyAsync(index, token);

    // The next apply.
    ValueTask IAuditTrail.WaitForApplyAsync(CancellationToken token)
        => new(Volatile.Read(ref _applied).Task.WaitAsync(token));

    /// <summary>
    /// Waits until the state machine has applied <paramref name="index"/>. Inside <see cref="ContinueOnApplier"/> (the
    /// group commit's ReplicateAsync, which DotNext's RaftCluster.ReplicateAsync ends with this wait) the wait's
    /// continuation runs on the applier's thread once it has applied the entry, not on a thread-pool thread after it.
    /// </summary>
    public new async ValueTask WaitForApplyAsync(long index, CancellationToken token = default)
    {
        var onApplier = s_continueOnApplier.Value;
        while (true)
        {
            var signal = (onApplier ? Volatile.Read(ref _appliedOnApplier) : Volatile.Read(ref _applied)).Task;
            if (_stateMachine.AppliedIndex >= index)
                return;
            ThrowIfFailed();
            try
            {
                await signal.WaitAsync(token).ConfigureAwait(false);
            }
            catch (Exception) when (_stateMachine.AppliedIndex >= index)
            {
                // Applied before the applier failed or the wait was cancelled (a scoped wait is woken once a pass ends,
                // so a failure later in the pass reaches it too): the entry is applied, which is what was waited for.
                return;
            }
        }
    }

    private void TriggerApply() => _applyWanted.Set();

    /// <summary>Wakes the applier with nothing new to apply: a requested snapshot then begins at once (<see cref="KvStateMachine.SnapshotIfRequested"/>).</summary>
    public void WakeApplier() => TriggerApply();

    private static void Wake(SemaphoreSlim trigger)
    {
        if (trigger.CurrentCount > 0)
            return;
        try
        {
            trigger.Release();
        }
        catch (SemaphoreFullException)
        {
            // Another caller woke the task first; it reads the state it acts on after waking.
        }
    }

    // The waits inside ContinueOnApplier are woken by the applier itself once a pass ends (SignalAppliedOnApplier); from
    // anywhere else (a failed sync, an install) through the pool, so that their continuations never run on a thread that
    // holds a lock of the log.
    private void SignalApplied()
    {
        SignalAppliedWaits();
        CompleteOnPool(Interlocked.Exchange(ref _appliedOnApplier, NewApplierSignal()), null);
    }

    // The waits outside ContinueOnApplier (their continuations go to the pool by themselves).
    private void SignalAppliedWaits() => Interlocked.Exchange(ref _applied, NewSignal()).TrySetResult();

    // Completes an on-applier signal from a thread that must not run its waits' continuations: through the pool.
    private static void CompleteOnPool(TaskCompletionSource signal, Exception? error) =>
        ThreadPool.UnsafeQueueUserWorkItem(static state =>
        {
            if (state.Error is { } e)
                state.Signal.TrySetException(e);
            else
                state.Signal.TrySetResult();
        }, (Signal: signal, Error: error), preferLocal: false);

    // On the applier's thread after a pass, outside the apply gate: the waits' continuations run here, now (the group
    // commit answers the pass's clients in them: one thread-pool hop less per replication round).
    private void SignalAppliedOnApplier() => Interlocked.Exchange(ref _appliedOnApplier, NewApplierSignal()).TrySetResult();

    private static TaskCompletionSource NewApplierSignal() => new(TaskCreationOptions.None);

    private static readonly AsyncLocal<bool> s_continueOnApplier = new();

    /// <summary>
    /// For the calls made inside the scope (and their continuations): a wait for an apply continues on the applier's
    /// thread (<see cref="WaitForApplyAsync(long, CancellationToken)"/>). What continues there must not block or run
    /// long: the next apply waits for it. Dispose on the thread that made it, before the first await.
    /// </summary>
    public static ApplierContinuation ContinueOnApplier()
    {
        var previous = s_continueOnApplier.Value;
        s_continueOnApplier.Value = true;
        return new ApplierContinuation(previous);
    }

    internal readonly struct ApplierContinuation(bool previous) : IDisposable
    {
        public void Dispose() => s_continueOnApplier.Value = previous;
    }

    // On a thread of its own (RaftLog's constructor): one entry can take a second or more to apply (SORT ... STORE of a
    // million elements), and a thread-pool thread held that long starves the pool on a two-core machine until it grows,
    // the Raft heartbeats and AppendEntries replies with it (a leader change). Waits here block this thread only.
    private void ApplyLoop()
    {
        var token = _lifetime.Token;
        try
        {
            while (true)
            {
                _applyWanted.Wait(token);
                _applyWanted.Reset();
                _applyGate.Wait(token);
                try
                {
                    ApplyCommitted(token);
                    _stateMachine.SnapshotIfRequested();
                }
                finally
                {
                    _applyGate.Release();
                }

                try
                {
                    SignalAppliedOnApplier();
                }
                catch (Exception e)
                {
                    // A continuation that threw (none is expected to: they are async methods' resumptions) must not
                    // stop the applier.
                    LogApplierContinuationFailed(e);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Never skip an entry: the node stops applying, the host sees BackgroundFailure and stops the process.
            Failed(e);
            Volatile.Read(ref _applied).TrySetException(e);
            CompleteOnPool(Volatile.Read(ref _appliedOnApplier), e);
        }
    }

    // The caller holds the apply gate (an install cannot replace the state in between).
    private void ApplyCommitted(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            var applied = _stateMachine.AppliedIndex;
            var commit = Volatile.Read(ref _commitIndex);
            if (applied >= commit)
                break;

            foreach (var record in _log.Read(applied + 1, commit, _options.ApplyBatchBytes, 1024))
            {
                // The tests' slow apply on one node, as DotNext's applier honours it (KvStateMachine.BeforeApply).
                if (_stateMachine.BeforeApply is { } hook)
                    hook(record.Index).GetAwaiter().GetResult();
                _contexts.TryRemove(record.Index, out var context);

                // As DotNext's own applier: a membership entry goes to the configuration storage RaftCluster set.
                if (record.IsConfiguration && ConfigurationStorage is { } storage)
                    storage.SaveConfigurationAsync(new StoredEntry(record), record.Index, token).AsTask().GetAwaiter().GetResult();
                _stateMachine.ApplyCommitted(
                    record.Index, record.Term, record.IsConfiguration ? default : new ReadOnlySequence<byte>(record.Payload), context);
            }

            // The waits inside ContinueOnApplier are woken once the pass ends (ApplyLoop).
            SignalAppliedWaits();
            if (_stateMachine.PublishedSnapshot is { } snapshot && snapshot.Index > Volatile.Read(ref _compactedTo))
                Wake(_compactTrigger);
        }
    }

    // Whole segments up to the published snapshot go (the leader then sends that snapshot to a follower behind it), and
    // older snapshot files with them, as DotNext's log asks its state machine to reclaim them. A task of its own, not
    // the applier: a prefix drop waits for an append's fdatasync and unlinks segment files, and applies (the replies to
    // writes) must not wait for either. Safe beside an install: the snapshot is at or below the applied index, which an
    // install only moves forward, so the drop never passes the log's end.
    private async Task CompactLoopAsync()
    {
        var token = _lifetime.Token;
        try
        {
            while (true)
            {
                await _compactTrigger.WaitAsync(token).ConfigureAwait(false);
                if (_stateMachine.PublishedSnapshot is not { } snapshot || snapshot.Index <= Volatile.Read(ref _compactedTo))
                    continue;
                if (snapshot.Index >= _log.FirstIndex && snapshot.Index <= _log.LastIndex)
                {
                    if (BeforeCompaction is { } hook)
                        await hook(snapshot.Index).ConfigureAwait(false);

                    // On a thread of its own: unlinking segments blocks, and a blocked pool thread delays everything
                    // else on a small machine until the pool notices and adds one (the Raft timers among them).
                    await Task.Factory.StartNew(
                        () => _log.DropPrefix(snapshot.Index), token, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
                }
                Volatile.Write(ref _compactedTo, snapshot.Index);
                await ((ISnapshotManager)_stateMachine).ReclaimGarbageAsync(snapshot.Index, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A log that cannot drop its prefix cannot be trusted to append either: the host sees BackgroundFailure.
            Failed(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A continuation run on the applier's thread failed; applying goes on")]
    private partial void LogApplierContinuationFailed(Exception e);
}
