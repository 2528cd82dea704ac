namespace RaftKV.Protocol.Replies;

public sealed class IntegerReply(long value) : Reply
{
    public long Value { get; } = value;

    public override string ToString() => ":" + Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
