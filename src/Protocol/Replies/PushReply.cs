namespace RaftKV.Protocol.Replies;

/// <summary>A RESP3 push (<c>&gt;</c>), used for pub/sub messages; an array under RESP2.</summary>
public sealed class PushReply(IReadOnlyList<Reply> items) : Reply
{
    public IReadOnlyList<Reply> Items { get; } = items;

    public override string ToString() => ">[" + string.Join(", ", Items) + "]";
}
