namespace RaftKV.Protocol.Replies;

/// <summary>
/// Member/score (or field/value) pairs, as ZRANGE ... WITHSCORES and HRANDFIELD ... WITHVALUES reply: a flat array
/// under RESP2, an array of two-element arrays under RESP3, as Redis 7 replies.
/// </summary>
public sealed class PairsReply(IReadOnlyList<KeyValuePair<Reply, Reply>> pairs) : Reply
{
    public IReadOnlyList<KeyValuePair<Reply, Reply>> Pairs { get; } = pairs;

    public override string ToString() => "[" + string.Join(", ", Pairs.Select(static p => "[" + p.Key + ", " + p.Value + "]")) + "]";
}
