using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>Members, or member/score pairs (flat under RESP2, nested under RESP3), as the sorted-set reads reply.</summary>
internal static class ScoredReply
{
    public static Reply Of(IEnumerable<ScoredMember> members, bool withScores) => withScores
        ? new PairsReply([.. members.Select(static e => new KeyValuePair<Reply, Reply>(Reply.Bulk(e.Member), Reply.Double(e.Score)))])
        : Reply.Array([.. members.Select(static e => Reply.Bulk(e.Member))]);
}
