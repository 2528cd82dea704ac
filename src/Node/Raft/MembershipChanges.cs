using System.Globalization;
using System.Net;
using System.Text;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Raft;

/// <summary>
/// Membership changes and leadership transfer, run on the leader through DotNext's public API: one change at a time,
/// a new member caught up (DotNext's warm-up rounds, from the log or by snapshot) before the configuration that counts
/// it is appended, and each change answered once that configuration is committed. Refused, with an -ERR saying why,
/// while another change runs, when the target is already (or not) a member, and when the resulting configuration
/// would have fewer reachable members than its quorum.
/// </summary>
internal sealed partial class MembershipChanges(RaftHost raft, MemberProgress progress, ReplicaAcks acks, IOptions<NodeOptions> options, ILogger<MembershipChanges> logger)
{
    public const string InProgress = "ERR a membership change is already in progress; retry once it is done";
    public const string LeadershipLost = "ERR leadership changed during the membership change: its outcome is unknown, check RAFTKV.MEMBERS";

    private readonly NodeOptions _options = options.Value;
    private readonly SemaphoreSlim _change = new(1, 1);
    private readonly ILogger _logger = logger;
    private volatile IPEndPoint? _joining;

    /// <summary>This node's view of the members (the leader's is the cluster's), with a member being caught up.</summary>
    public IReadOnlyList<MemberView> View()
    {
        var cluster = raft.Cluster;
        var leader = cluster.Leader;
        var rows = new List<MemberView>();
        foreach (var member in cluster.Members)
        {
            var self = !member.IsRemote;
            var isLeader = leader is not null && leader.EndPoint.Equals(member.EndPoint);
            var role = isLeader ? MemberView.Leader
                : self ? (raft.IsRemoved || cluster.Standby ? MemberView.Unknown : leader is null ? MemberView.Candidate : MemberView.Follower)
                : member.Status == ClusterMemberStatus.Available ? MemberView.Follower : MemberView.Unknown;
            // DotNext 6.12 keeps a follower's replication index to itself (IRaftClusterMember.State is not public): the
            // leader shows the last log index each member reported (MemberProgress); -1 when unknown (or not the leader).
            var match = self ? raft.Log.LastEntryIndex : progress.Of(member.EndPoint)?.LastLog ?? -1;
            rows.Add(new MemberView(Id(member.EndPoint), member.EndPoint.ToString() ?? "?", RespOf(member.EndPoint, self), role, true, match, self));
        }

        if (rows.Any(static r => r.Resp.Length == 0))
            _ = raft.ResolveMembersAsync(cluster);
        if (_joining is { } joining && !rows.Any(r => r.Raft == joining.ToString()))
            rows.Add(new MemberView(Id(joining), joining.ToString(), RespOf(joining, false), MemberView.Unknown, false, -1, false));
        return rows;
    }

    private string RespOf(EndPoint member, bool self) => self ? _options.RespAdvertised : raft.RespEndpointOf(member) ?? string.Empty;

    // DotNext's member id: derived from the Raft endpoint alone, so the same on every node and across restarts.
    private static string Id(EndPoint member) => ClusterMemberId.FromEndPoint(member).ToString();

    public Task<Reply> AddAsync(IPEndPoint member, string? resp, CancellationToken token) => ChangeAsync("adding", member, async (cluster, timeout) =>
    {
        var members = cluster.Members;
        if (members.Any(m => m.EndPoint.Equals(member)))
            return Reply.Error($"ERR {member} is already a member");
        var reachable = members.Count(static m => !m.IsRemote || m.Status != ClusterMemberStatus.Unavailable);
        var quorum = (members.Count + 1) / 2 + 1;
        if (reachable + 1 < quorum)
            return Reply.Error($"ERR adding {member} would lose quorum: {members.Count + 1} members need {quorum} reachable, only {reachable} of the {members.Count} current ones are");
        if (resp is not null)
            raft.RememberRespEndpoint(member, resp);

        _joining = member;
        LogChangeStarted("add", member.ToString());
        if (!await cluster.AddMemberAsync(member, timeout).ConfigureAwait(false))
        {
            return Reply.Error($"ERR {member} is unreachable or did not catch up within {_options.MemberWarmupRounds} replication rounds " +
                               "(is it running with RaftKV:Join=true and an empty data directory?)");
        }

        await WaitForMembersAsync(cluster, m => m.Any(x => x.EndPoint.Equals(member)), timeout).ConfigureAwait(false);
        _ = raft.ResolveMemberRespAsync(member);
        LogChangeDone("add", member.ToString(), cluster.Members.Count);
        return Reply.Ok;
    }, token);

    public Task<Reply> RemoveAsync(IPEndPoint member, CancellationToken token) => ChangeAsync("removing", member, async (cluster, timeout) =>
    {
        var self = member.Equals(raft.RaftEndPoint);
        var members = cluster.Members;
        if (!members.Any(m => m.EndPoint.Equals(member)))
            return Reply.Error($"ERR {member} is not a member");
        if (members.Count == 1)
            return Reply.Error("ERR cannot remove the last member of the cluster");
        var remaining = members.Where(m => !m.EndPoint.Equals(member)).ToList();
        var reachable = remaining.Count(static m => !m.IsRemote || m.Status != ClusterMemberStatus.Unavailable);
        var quorum = remaining.Count / 2 + 1;
        if (reachable < quorum)
            return Reply.Error($"ERR removing {member} would lose quorum: the {remaining.Count} remaining members need {quorum} reachable, only {reachable} are");

        LogChangeStarted("remove", member.ToString());
        bool removed;
        try
        {
            removed = await cluster.RemoveMemberAsync(member, timeout).ConfigureAwait(false);
        }
        catch (NotLeaderException) when (self)
        {
            // A leader that removes itself steps down once the change is applied, which may end the call first.
            removed = !(await raft.CommittedMembersAsync(timeout).ConfigureAwait(false)).Contains(member);
            if (!removed)
                throw;
        }

        if (!removed)
            return Reply.Error($"ERR removing {member} was not committed");
        if (!self)
            await WaitForMembersAsync(cluster, m => !m.Any(x => x.EndPoint.Equals(member)), timeout).ConfigureAwait(false);
        LogChangeDone("remove", member.ToString(), remaining.Count);
        return Reply.Ok;
    }, token);

    // One change at a time on this leader, bounded by MembershipChangeTimeoutMs; DotNext's refusals become -ERR replies.
    private async Task<Reply> ChangeAsync(string change, IPEndPoint member, Func<RaftCluster, CancellationToken, Task<Reply>> run, CancellationToken token)
    {
        if (!_change.Wait(0))
            return Reply.Error(InProgress);
        // What members confirmed to WAIT is forgotten before and after (a member removed and added again has an empty
        // log): after, for answers asked before the change; before too, for a removal that timed out here and committed
        // later, whose member may have confirmed meanwhile and now comes back empty.
        acks.Forget();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(_options.MembershipChangeTimeoutMs);
            return await run(raft.Cluster, timeout.Token).ConfigureAwait(false);
        }
        catch (NotLeaderException)
        {
            return Reply.Error(LeadershipLost);
        }
        catch (RaftCluster<RaftClusterMember>.ConcurrentMembershipModificationException)
        {
            return Reply.Error(InProgress);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return Reply.Error($"ERR {change} {member} did not finish within {_options.MembershipChangeTimeoutMs} ms: its outcome is unknown, check RAFTKV.MEMBERS");
        }
        finally
        {
            acks.Forget();
            _joining = null;
            _change.Release();
        }
    }

    /// <summary>
    /// Moves leadership to <paramref name="target"/> (or to any other member). DotNext 6.12 has no targeted transfer,
    /// and after a plain resignation its pre-vote always elects the member with the longest election timeout (see
    /// <see cref="RaftHost.HoldElectionsAsync"/>), so each round holds the elections of every member but the target,
    /// the leader last (it pushes its last entries, then resigns): the target, alone able to stand, wins within a few
    /// election timeouts. Holds end by themselves (a leader of a later term, or their duration), so a round whose
    /// target does not win (behind, slow) ends in an ordinary election, and the next round tries again, up to three
    /// rounds within MembershipChangeTimeoutMs; a target that cannot be reached is refused before any hold. Writes are never lost or doubled by this: an election is all it is.
    /// </summary>
    public async Task<Reply> TransferAsync(IPEndPoint? target, CancellationToken token)
    {
        if (!_change.Wait(0))
            return Reply.Error(InProgress);
        try
        {
            var cluster = raft.Cluster;
            if (target is not null && !cluster.Members.Any(m => m.EndPoint.Equals(target)))
                return Reply.Error($"ERR {target} is not a member");
            if (target is not null && target.Equals(raft.RaftEndPoint) && raft.IsLeader)
                return Reply.Ok;
            if (cluster.Members.Count == 1)
                return Reply.Error("ERR there is no other member to transfer leadership to");

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(_options.MembershipChangeTimeoutMs);
            var original = raft.RaftEndPoint;
            var hold = TimeSpan.FromMilliseconds(4L * _options.ElectionTimeoutMaxMs);
            byte[][] holdRequest = [Encoding.ASCII.GetBytes(Execution.ForwardingConnection.HoldElections),
                Encoding.ASCII.GetBytes(((long)hold.TotalMilliseconds).ToString(CultureInfo.InvariantCulture))];
            for (var round = 0; ; round++)
            {
                var leader = await WaitForLeaderAsync(cluster, -1, timeout.Token).ConfigureAwait(false);
                if (target is null ? !leader.EndPoint.Equals(original) : leader.EndPoint.Equals(target))
                {
                    LogTransferred(leader.EndPoint.ToString() ?? "?", round);
                    return Reply.Ok;
                }

                if (round == MaxTransferRounds)
                    return Reply.Error($"ERR leadership did not move to {(object?)target ?? "another member"} in {round} rounds; the leader is now {leader.EndPoint}");
                var to = target ?? NextLeader(cluster, leader);

                // Holding the others' elections for a member that cannot stand would leave the cluster leaderless.
                if (cluster.Members.FirstOrDefault(m => m.EndPoint.Equals(to)) is { IsRemote: true } candidate
                    && await raft.SendToMemberAsync(candidate, [Encoding.ASCII.GetBytes("PING")], timeout.Token).ConfigureAwait(false) is null)
                    return Reply.Error($"ERR {to} cannot be reached: leadership stays with {leader.EndPoint}");
                var term = cluster.Term;
                foreach (var member in cluster.Members.Where(m => !m.EndPoint.Equals(to)).OrderBy(m => m.EndPoint.Equals(leader.EndPoint)))
                {
                    // A member that cannot be reached cannot stand either.
                    if (member.IsRemote)
                        await raft.SendToMemberAsync(member, holdRequest, timeout.Token).ConfigureAwait(false);
                    else
                        await raft.HoldElectionsAsync(hold, timeout.Token).ConfigureAwait(false);
                }

                using var election = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
                election.CancelAfter(hold + TimeSpan.FromMilliseconds(_options.ElectionTimeoutMaxMs));
                try
                {
                    await WaitForLeaderAsync(cluster, term, election.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!timeout.IsCancellationRequested)
                {
                    // No leader of a later term yet: the holds have ended, so the next round sees whoever leads.
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or MemberUnavailableException && !token.IsCancellationRequested)
        {
            return Reply.Error($"ERR leadership did not move to {(object?)target ?? "another member"} before the timeout: {e.Message}; the leader is now {raft.Cluster.Leader?.EndPoint}");
        }
        finally
        {
            _change.Release();
        }
    }

    // A round whose target did not win (behind, slow, or gone during it) is tried again, a few times.
    private const int MaxTransferRounds = 3;

    // With no target named: a reachable member other than the leader, the same one every round.
    private static EndPoint NextLeader(RaftCluster cluster, RaftClusterMember leader) =>
        cluster.Members.Where(m => !m.EndPoint.Equals(leader.EndPoint))
            .OrderBy(static m => m.Status == ClusterMemberStatus.Available ? 0 : 1)
            .ThenBy(static m => m.EndPoint.ToString(), StringComparer.Ordinal)
            .First().EndPoint;

    // A leader of a term after `term` (the resigned leader may win the election that follows its resignation).
    private static async Task<RaftClusterMember> WaitForLeaderAsync(RaftCluster cluster, long term, CancellationToken token)
    {
        while (true)
        {
            if (cluster.Leader is { } leader && cluster.Term > term)
                return leader;
            await Task.Delay(20, token).ConfigureAwait(false);
        }
    }

    // DotNext applies a committed configuration to its member list a moment after the change returns.
    private static async Task WaitForMembersAsync(RaftCluster cluster, Func<IReadOnlyCollection<RaftClusterMember>, bool> done, CancellationToken token)
    {
        for (var i = 0; i < 250 && !done(cluster.Members); i++)
            await Task.Delay(20, token).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Membership change started: {Change} {Member}")]
    private partial void LogChangeStarted(string change, string member);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Membership change committed: {Change} {Member}; {Count} members")]
    private partial void LogChangeDone(string change, string member, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leadership moved to {Leader} after {Attempts} transfer rounds")]
    private partial void LogTransferred(string leader, int attempts);
}
