using Microsoft.Extensions.Diagnostics.HealthChecks;
using RaftKV.Node.Raft;

namespace RaftKV.Node.Diagnostics;

/// <summary>
/// Ready to serve (<c>/health/ready</c>, gRPC health): the Raft node runs, knows a leader (itself or another), has
/// applied everything up to the commit index it knows (given <see cref="CatchUp"/> to apply entries committed a moment
/// ago, so a busy but healthy node does not flap), and has at least MinFreeDiskBytes free for its data. A node cut off
/// from the leader loses the leader at its next election timeout and reports Unhealthy (HTTP 503) until one is elected.
/// </summary>
internal sealed class RaftReadinessCheck(RaftHost raft, DiskSpaceGuard disk) : IHealthCheck
{
    /// <summary>How long a node may take to apply the commit index it knows when asked.</summary>
    public static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!raft.IsStarted)
            return HealthCheckResult.Unhealthy("the Raft node is not started");
        if (raft.Cluster.Leader is not { } leader)
            return HealthCheckResult.Unhealthy("no Raft leader known");
        if (disk.IsLow)
            return HealthCheckResult.Unhealthy($"{disk.FreeBytes} bytes free on the data disk, below MinFreeDiskBytes ({disk.MinFreeBytes}): writes are refused");

        var commit = raft.Log.LastCommittedEntryIndex;
        var deadline = DateTime.UtcNow + CatchUp;
        while (raft.StateMachine.AppliedIndex < commit)
        {
            if (DateTime.UtcNow > deadline)
                return HealthCheckResult.Unhealthy($"applied index {raft.StateMachine.AppliedIndex} is behind the commit index {commit}");
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        return HealthCheckResult.Healthy($"leader {leader.EndPoint}, applied {raft.StateMachine.AppliedIndex}, commit {commit}");
    }
}
