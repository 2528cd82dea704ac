using System.Security.Cryptography;
using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Execution;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;

namespace RaftKV.Node.Security;

/// <summary>
/// Gives a cluster its secret (<see cref="MemberProof"/>): a leader whose applied state has none proposes a
/// ClusterSecretSet entry, carrying the configured <see cref="NodeOptions.ClusterSecret"/> or 32 random bytes drawn here,
/// so that every replica stores the same bytes. That is the first leader of a brand-new cluster, or the first one after
/// an upgrade from a version without a secret. The state machine keeps the first secret committed, so a proposal that
/// races another (two leaders in turn) changes nothing; nothing ever replaces a secret once set.
/// </summary>
internal sealed partial class ClusterSecretProposer : IHostedService, IDisposable
{
    private readonly RaftHost _raft;
    private readonly WriteBatcher _batcher;
    private readonly LeaderClock _clock;
    private readonly NodeOptions _options;
    private readonly ILogger _logger;

    public ClusterSecretProposer(RaftHost raft, WriteBatcher batcher, LeaderClock clock, IOptions<NodeOptions> options, ILogger<ClusterSecretProposer> logger)
    {
        _raft = raft;
        _batcher = batcher;
        _clock = clock;
        _options = options.Value;
        _logger = logger;
        raft.LeaderEpochChanged += OnLeaderEpochChanged;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _raft.LeaderEpochChanged -= OnLeaderEpochChanged;

    private void OnLeaderEpochChanged(bool isLeader, CancellationToken epoch)
    {
        // Off DotNext's thread: the event fires inside RaftCluster.StartAsync for a one-node cluster, where a read barrier
        // spins until the cluster has started, so an inline proposal held the node's start for a whole CommandTimeoutMs.
        if (isLeader)
            _ = Task.Run(() => ProposeAsync(epoch), CancellationToken.None);
    }

    // Retried while this leadership lasts: a proposal that timed out may still commit, which the set-once apply makes safe.
    private async Task ProposeAsync(CancellationToken leadership)
    {
        var configured = MemberSecret.Configured(_options);
        while (!leadership.IsCancellationRequested)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(leadership);
            timeout.CancelAfter(_options.CommandTimeoutMs);
            try
            {
                // Applied up to this leader's commit first: a secret already in the log is seen, not proposed again.
                await _raft.Cluster.ApplyReadBarrierAsync(timeout.Token).ConfigureAwait(false);
                if (_raft.StateMachine.ClusterSecret is { } current)
                {
                    if (configured is not null && !CryptographicOperations.FixedTimeEquals(current, configured))
                        LogConfiguredIgnored();
                    return;
                }

                var secret = configured ?? RandomNumberGenerator.GetBytes(32);
                var reply = await _batcher.WriteAsync(new LogCommand(CommandId.ClusterSecretSet, _clock.Now(), 0, [secret]), timeout.Token).ConfigureAwait(false);
                if (reply is IntegerReply set)
                {
                    if (set.Value == 1)
                        LogSecretSet(configured is null ? "random bytes" : "the configured ClusterSecret");
                    return;
                }
            }
            catch (Exception e) when (e is QuorumUnreachableException or NotLeaderException or OperationCanceledException or InvalidOperationException)
            {
                // Not leading any more, or no quorum yet: the loop ends with the leadership or tries again.
            }

            await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The cluster secret is set ({Source})")]
    private partial void LogSecretSet(string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The configured ClusterSecret differs from the secret the cluster already has, which stays")]
    private partial void LogConfiguredIgnored();
}
