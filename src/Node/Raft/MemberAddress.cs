namespace RaftKV.Node.Raft;

/// <summary>One member as this node knows it: its Raft endpoint, the RESP endpoint it advertises (null while not yet
/// known here), and whether it is the leader this node follows or this node itself.</summary>
internal readonly record struct MemberAddress(string Raft, string? Resp, bool IsLeader, bool IsSelf);
