namespace RaftKV.Protocol.Replies;

/// <summary>A RESP3 map (<c>%</c>); a flat key, value, key, value array under RESP2.</summary>
public sealed class MapReply(IReadOnlyList<KeyValuePair<Reply, Reply>> entries) : Reply
{
    public IReadOnlyList<KeyValuePair<Reply, Reply>> Entries { get; } = entries;

    public override string ToString() => "{" + string.Join(", ", Entries.Select(e => e.Key + ": " + e.Value)) + "}";
}
