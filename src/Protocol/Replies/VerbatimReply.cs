namespace RaftKV.Protocol.Replies;

/// <summary>A RESP3 verbatim string (<c>=</c>, format "txt"); a bulk string under RESP2.</summary>
public sealed class VerbatimReply(string format, byte[] value) : Reply
{
    public string Format { get; } = format;

    public byte[] Value { get; } = value;

    public override string ToString() => "=" + Format + ":" + System.Text.Encoding.UTF8.GetString(Value);
}
