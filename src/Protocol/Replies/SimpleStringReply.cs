namespace RaftKV.Protocol.Replies;

public sealed class SimpleStringReply(string value) : Reply
{
    public string Value { get; } = value;

    public override string ToString() => "+" + Value;
}
