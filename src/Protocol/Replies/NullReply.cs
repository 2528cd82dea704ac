namespace RaftKV.Protocol.Replies;

public sealed class NullReply(NullKind kind) : Reply
{
    public NullKind Kind { get; } = kind;

    public override string ToString() => "(nil)";
}
