namespace RaftKV.Protocol.Replies;

/// <summary>A RESP3 boolean (<c>#</c>); integer 1 or 0 under RESP2.</summary>
public sealed class BooleanReply(bool value) : Reply
{
    public bool Value { get; } = value;

    public override string ToString() => Value ? "#t" : "#f";
}
