namespace RaftKV.Node.Raft;

/// <summary>
/// Where clients reach the members: what SENTINEL, ROLE, INFO replication and the leader-change announcements report.
/// One seam on purpose: today the addresses come from each member's DotNext metadata (<see cref="RaftHost.RespMetadataKey"/>);
/// a membership record that carries a RESP address per member can replace <see cref="RaftMemberAddresses"/> without
/// touching the callers.
/// </summary>
internal interface IMemberAddresses
{
    /// <summary>The RESP endpoint (host:port) of the leader this node knows, or null when none is known or it is not yet resolved.</summary>
    string? LeaderResp { get; }

    /// <summary>
    /// The same, waiting (a bounded time) for a just-elected leader's address to be resolved; null when no leader is known.
    /// </summary>
    ValueTask<string?> GetLeaderRespAsync(CancellationToken token);

    /// <summary>Every member of the configuration this node knows, in ordinal order of Raft endpoint (a stable order for replies).</summary>
    IReadOnlyList<MemberAddress> Members { get; }
}
