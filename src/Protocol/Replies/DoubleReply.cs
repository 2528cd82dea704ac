namespace RaftKV.Protocol.Replies;

/// <summary>
/// A RESP3 double (<c>,</c>); a bulk string under RESP2. <see cref="Text"/>, when set, is the exact wire text to send
/// instead of Redis's <c>%.17g</c> form: Redis writes some doubles in other forms (GEOPOS coordinates with seventeen
/// decimals), and a relayed reply keeps the text the leader sent.
/// </summary>
public sealed class DoubleReply(double value, string? text = null) : Reply
{
    public double Value { get; } = value;

    /// <summary>The wire text (ASCII), or null for <see cref="Resp.RedisNumber.FormatDouble"/> of <see cref="Value"/>.</summary>
    public string? Text { get; } = text;

    public override string ToString() => "," + (Text ?? Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
}
