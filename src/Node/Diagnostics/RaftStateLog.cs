using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using RaftKV.Node.Raft;

namespace RaftKV.Node.Diagnostics;

/// <summary>
/// One log line per Raft state change of this node: elected, stepped down, a member unreachable, a member back (with
/// how long it was gone). DotNext itself logs every failed request to a dead member with a stack trace (about 3.5 a
/// second); those are summarised by <see cref="RepeatSummarizingLoggerFactory"/>, and these lines tell the story.
/// Started after <see cref="RaftHost"/>, so its cluster exists.
/// </summary>
internal sealed partial class RaftStateLog(RaftHost raft, TimeProvider clock, ILogger<RaftStateLog> logger) : IHostedService
{
    private readonly Dictionary<IClusterMember, long> _unreachableSince = [];
    private readonly Lock _lock = new();
    private bool _leading;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        raft.LeaderEpochChanged += OnLeaderEpoch;
        var cluster = raft.Cluster;
        cluster.MemberAdded += (_, added) => Watch(added.Member);
        foreach (var member in cluster.Members)
            Watch(member);

        // The node may have been elected while the services before this one started (a one-node cluster at once).
        if (raft.IsLeader)
            OnLeaderEpoch(isLeader: true, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        raft.LeaderEpochChanged -= OnLeaderEpoch;
        return Task.CompletedTask;
    }

    private void Watch(IClusterMember member)
    {
        if (member.IsRemote)
            member.MemberStatusChanged += OnMemberStatus;
    }

    private void OnLeaderEpoch(bool isLeader, CancellationToken epoch)
    {
        var term = raft.IsStarted ? raft.Cluster.Term : 0;
        lock (_lock)
        {
            if (isLeader && !_leading)
                LogElected(term);
            else if (!isLeader && _leading)
                LogSteppedDown(term);
            _leading = isLeader;
        }
    }

    private void OnMemberStatus(ClusterMemberStatusChangedEventArgs change)
    {
        var name = change.Member.EndPoint.ToString() ?? "?";
        lock (_lock)
        {
            if (change.NewStatus == ClusterMemberStatus.Unavailable && !_unreachableSince.ContainsKey(change.Member))
            {
                _unreachableSince[change.Member] = clock.GetTimestamp();
                LogUnreachable(name);
            }
            else if (change.NewStatus == ClusterMemberStatus.Available && _unreachableSince.Remove(change.Member, out var since))
            {
                LogBack(name, (long)clock.GetElapsedTime(since).TotalSeconds);
            }
        }
    }

    [LoggerMessage(EventId = 1801, Level = LogLevel.Information, Message = "Elected leader in term {Term}")]
    private partial void LogElected(long term);

    [LoggerMessage(EventId = 1802, Level = LogLevel.Information, Message = "Stepped down as leader (term {Term})")]
    private partial void LogSteppedDown(long term);

    [LoggerMessage(EventId = 1803, Level = LogLevel.Warning, Message = "Member {Member} is unreachable")]
    private partial void LogUnreachable(string member);

    [LoggerMessage(EventId = 1804, Level = LogLevel.Information, Message = "Member {Member} is reachable again after {Seconds} s")]
    private partial void LogBack(string member, long seconds);
}
