using System.Diagnostics;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;

namespace RaftKV.Node.Raft;

/// <summary>
/// Holding elections for a leadership transfer. DotNext 6.12 has no targeted transfer (Raft's TimeoutNow), and its
/// pre-vote lets a node become a candidate only once every peer's own election timeout has passed since it last heard
/// a leader; each node draws its timeout once, so after a plain resignation the node with the longest timeout wins,
/// every time (a transfer to the node with the shortest one never happened: 60 s of elections, issue 15). A transfer
/// therefore puts every member but the target in DotNext's standby mode (public API: such a node replicates,
/// acknowledges and votes, but never starts an election), the leader last (it resigns first), so the target is the
/// only candidate. A hold ends by itself once a leader of a later term is known, or after its duration, so a target
/// that is down or behind costs one ordinary election, never the cluster's liveness.
/// </summary>
internal sealed partial class RaftHost
{
    private readonly SemaphoreSlim _holdGate = new(1, 1);
    private long _holdGeneration;
    private bool _holding;

    /// <summary>True while this node holds its elections for a transfer.</summary>
    public bool IsHoldingElections => Volatile.Read(ref _holding);

    /// <summary>
    /// Keeps this node from starting elections until a leader of a later term than now is known or
    /// <paramref name="duration"/> passes. The leader pushes its last entries to the followers, then resigns. A node in
    /// standby for another reason (Join mode, waiting to be added) is left as it is. False when nothing was held.
    /// </summary>
    public async Task<bool> HoldElectionsAsync(TimeSpan duration, CancellationToken token)
    {
        if (_cluster is not { } cluster || IsRemoved)
            return false;
        await _holdGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            if (cluster.Standby && !_holding)
                return false;
            var term = cluster.Term;
            if (IsLeader)
            {
                using (var round = CancellationTokenSource.CreateLinkedTokenSource(token))
                {
                    round.CancelAfter(_options.ElectionTimeoutMinMs);
                    try
                    {
                        // The target's log must be as long as the others' for their votes.
                        await cluster.ForceReplicationAsync(round.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is OperationCanceledException or InvalidOperationException && !token.IsCancellationRequested)
                    {
                    }
                }

                // ICluster.ResignAsync asks the leader to resign when this node no longer leads: only while it does.
                if (IsLeader)
                    await ((ICluster)cluster).ResignAsync(token).ConfigureAwait(false);
            }

            await cluster.EnableStandbyModeAsync(token).ConfigureAwait(false);
            var generation = ++_holdGeneration;
            Volatile.Write(ref _holding, true);
            LogElectionsHeld((long)duration.TotalMilliseconds, term);
            _ = EndHoldAsync(cluster, term, generation, duration);
            return true;
        }
        finally
        {
            _holdGate.Release();
        }
    }

    private async Task EndHoldAsync(RaftCluster cluster, long term, long generation, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            while (clock.Elapsed < duration && !(cluster.Leader is not null && cluster.Term > term)
                   && Interlocked.Read(ref _holdGeneration) == generation)
                await Task.Delay(20, _watchdogStop.Token).ConfigureAwait(false);

            await _holdGate.WaitAsync(_watchdogStop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            // A later hold (a transfer's next round) owns the standby now.
            if (Interlocked.Read(ref _holdGeneration) != generation || !_holding)
                return;
            // Out of standby first: IsHoldingElections false with the member still in standby failed
            // AclTests.ElectionHold_IsAMemberOnlyCommand_AndEndsByItself on a loaded machine.
            await cluster.RevertToNormalModeAsync(_watchdogStop.Token).ConfigureAwait(false);
            Volatile.Write(ref _holding, false);
            LogElectionsResumed(cluster.Leader?.EndPoint?.ToString() ?? "none", cluster.Term);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Stopping.
        }
        finally
        {
            _holdGate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Holding elections for a leadership transfer (up to {Milliseconds} ms, from term {Term})")]
    private partial void LogElectionsHeld(long milliseconds, long term);

    [LoggerMessage(Level = LogLevel.Information, Message = "Elections resumed; the leader is {Leader} in term {Term}")]
    private partial void LogElectionsResumed(string leader, long term);
}
