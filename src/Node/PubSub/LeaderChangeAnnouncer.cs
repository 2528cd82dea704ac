using System.Text;
using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Raft;

namespace RaftKV.Node.PubSub;

/// <summary>
/// When this node sees a new leader, it tells its own subscribers the way Redis clients listen for a failover:
/// <c>+switch-master name old-ip old-port new-ip new-port</c> on <c>+switch-master</c> (Sentinel's announcement, which
/// redis-py, ioredis and StackExchange.Redis's sentinel mode react to) and the new leader's address on
/// <c>__Booksleeve_MasterChanged</c> (StackExchange.Redis subscribes to it on every endpoint and re-reads every node's
/// role as soon as a message arrives, instead of at its next periodic check, a minute later by default).
/// </summary>
/// <remarks>
/// These are node-local announcements of a leader change this node observed, not log entries, and that is fine: they
/// change no replicated state, they only prompt a client to ask again (SENTINEL, ROLE, INFO), and what it then reads is
/// the authority. Sentinel gives the same guarantee: each Sentinel announces what it saw, to its own subscribers, at
/// its own time, at most once. A log entry could not even carry it: a change of leader is what happens when the old
/// leader can no longer commit anything, and the new one is found out by every node on its own.
/// </remarks>
internal sealed partial class LeaderChangeAnnouncer(RaftHost raft, IMemberAddresses addresses, PubSubBroker broker,
    IOptions<NodeOptions> options, ILogger<LeaderChangeAnnouncer> logger) : IHostedService
{
    public static readonly byte[] SwitchMasterChannel = "+switch-master"u8.ToArray();

    public static readonly byte[] MasterChangedChannel = "__Booksleeve_MasterChanged"u8.ToArray();

    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private string? _announced;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A leader this node knew before it started announcing is the one later changes are reported from.
        lock (_gate)
            _announced = addresses.LeaderResp;
        raft.LeaderEpochChanged += OnLeaderEpochChanged;
        OnLeaderEpochChanged(raft.IsLeader, raft.LeaderChangeToken);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        raft.LeaderEpochChanged -= OnLeaderEpochChanged;
        await _stop.CancelAsync().ConfigureAwait(false);
    }

    private void OnLeaderEpochChanged(bool isLeader, CancellationToken epoch) => _ = AnnounceAsync(epoch);

    /// <summary>
    /// Waits (bounded) for the new leader's RESP address, then announces it if it differs from the last announced one.
    /// A newer change ends this epoch's wait, and that change announces for itself.
    /// </summary>
    private async Task AnnounceAsync(CancellationToken epoch)
    {
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(epoch, _stop.Token);
            if (await addresses.GetLeaderRespAsync(linked.Token).ConfigureAwait(false) is not { } leader)
                return;
            string? previous;
            lock (_gate)
            {
                if (epoch.IsCancellationRequested || leader == _announced)
                    return;
                previous = _announced;
                _announced = leader;
            }

            Publish(previous, leader);
            await RepeatMasterChangedAsync(leader, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ObjectDisposedException)
        {
            LogAnnounceFailed(e.Message);
        }
    }

    /// <summary>
    /// StackExchange.Redis ignores a broadcast that arrives while it is already reconfiguring, and it starts one by
    /// itself the moment its connection to the old leader fails: before the election, when every node still names the
    /// old leader, and that run waits up to its connect timeout (5 s) for the dead node. The hint is repeated once a
    /// second for a few seconds while this leader stays, so that one arrives after that run; each repeat only makes a
    /// client re-read the roles, which is harmless.
    /// </summary>
    private async Task RepeatMasterChangedAsync(string leader, CancellationToken epoch)
    {
        var message = Encoding.UTF8.GetBytes(leader);
        for (var i = 0; i < MasterChangedRepeats; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), epoch).ConfigureAwait(false);
            broker.Publish(MasterChangedChannel, message, patterns: false);
        }
    }

    private const int MasterChangedRepeats = 8;

    private void Publish(string? previous, string leader)
    {
        var (host, port) = EndpointParser.Split(leader);
        // A node that knew no leader before (it just started) has no switch to report; the reconfigure hint is still sent.
        if (previous is not null)
        {
            var (oldHost, oldPort) = EndpointParser.Split(previous);
            var text = $"{options.Value.SentinelServiceName} {oldHost} {oldPort} {host} {port}";
            broker.Publish(SwitchMasterChannel, Encoding.UTF8.GetBytes(text), patterns: false);
        }

        broker.Publish(MasterChangedChannel, Encoding.UTF8.GetBytes(leader), patterns: false);
        LogAnnounced(previous ?? "none", leader);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Announced the leader change from {Previous} to {Leader} to local subscribers")]
    private partial void LogAnnounced(string previous, string leader);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not announce the leader change: {Reason}")]
    private partial void LogAnnounceFailed(string reason);
}
