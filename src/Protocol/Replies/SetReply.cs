namespace RaftKV.Protocol.Replies;

/// <summary>A RESP3 set (<c>~</c>); an array under RESP2.</summary>
public sealed class SetReply(IReadOnlyList<Reply> items) : Reply
{
    public IReadOnlyList<Reply> Items { get; } = items;

    public override string ToString() => "~[" + string.Join(", ", Items) + "]";
}
