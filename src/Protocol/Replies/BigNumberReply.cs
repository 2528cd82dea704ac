namespace RaftKV.Protocol.Replies;

/// <summary>A RESP3 big number (<c>(</c>: an integer of any size, as decimal digits); a bulk string under RESP2.</summary>
public sealed class BigNumberReply(string digits) : Reply
{
    public string Digits { get; } = digits;

    public override string ToString() => "(" + Digits;
}
