namespace RaftKV.Protocol.Replies;

/// <summary>
/// A RESP3 map (<c>%</c>); under RESP2 a flat key, value, key, value array, or with <paramref name="pairsInResp2"/> an
/// array of [key, value] arrays (XREAD and XREADGROUP reply so).
/// </summary>
public sealed class MapReply(IReadOnlyList<KeyValuePair<Reply, Reply>> entries, bool pairsInResp2 = false) : Reply
{
    public IReadOnlyList<KeyValuePair<Reply, Reply>> Entries { get; } = entries;

    /// <summary>Under RESP2, an array of two-element arrays rather than a flat array.</summary>
    public bool PairsInResp2 { get; } = pairsInResp2;

    public override string ToString() => "{" + string.Join(", ", Entries.Select(e => e.Key + ": " + e.Value)) + "}";
}
