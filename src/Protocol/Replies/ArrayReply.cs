namespace RaftKV.Protocol.Replies;

public sealed class ArrayReply(IReadOnlyList<Reply> items) : Reply
{
    public IReadOnlyList<Reply> Items { get; } = items;

    public override string ToString() => "[" + string.Join(", ", Items) + "]";
}
