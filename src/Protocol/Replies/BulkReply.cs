namespace RaftKV.Protocol.Replies;

public sealed class BulkReply(byte[] value) : Reply
{
    public byte[] Value { get; } = value;

    public override string ToString() => "$" + System.Text.Encoding.UTF8.GetString(Value);
}
