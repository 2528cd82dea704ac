namespace RaftKV.Protocol.Replies;

/// <summary>A RESP3 double (<c>,</c>); a bulk string under RESP2.</summary>
public sealed class DoubleReply(double value) : Reply
{
    public double Value { get; } = value;

    public override string ToString() => "," + Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
