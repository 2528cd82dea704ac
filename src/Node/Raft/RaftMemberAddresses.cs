namespace RaftKV.Node.Raft;

/// <summary>
/// <see cref="IMemberAddresses"/> from DotNext's view: the members of the cluster configuration, each with the RESP
/// endpoint it publishes in its metadata (cached by <see cref="RaftHost"/>; a member not yet asked is looked up in the
/// background and reported without an address meanwhile).
/// </summary>
internal sealed class RaftMemberAddresses(RaftHost raft) : IMemberAddresses
{
    public string? LeaderResp => raft.LeaderRespEndpoint;

    public ValueTask<string?> GetLeaderRespAsync(CancellationToken token) => raft.GetLeaderRespEndpointAsync(token);

    public IReadOnlyList<MemberAddress> Members
    {
        get
        {
            if (!raft.IsStarted)
                return [];
            var cluster = raft.Cluster;
            var leader = cluster.Leader;
            return cluster.Members
                .Select(m => new MemberAddress(
                    m.EndPoint.ToString() ?? "?",
                    raft.RespEndpointOf(m),
                    leader is not null && Equals(leader.EndPoint, m.EndPoint),
                    !m.IsRemote))
                .OrderBy(static m => m.Raft, StringComparer.Ordinal)
                .ToList();
        }
    }
}
