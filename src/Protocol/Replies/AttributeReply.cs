namespace RaftKV.Protocol.Replies;

/// <summary>
/// A RESP3 attribute (<c>|</c>: a map of auxiliary data) followed by the reply it annotates. Attributes are not
/// replies: under RESP2 only <see cref="Value"/> is written, as Redis does.
/// </summary>
public sealed class AttributeReply(MapReply attributes, Reply value) : Reply
{
    public MapReply Attributes { get; } = attributes;

    public Reply Value { get; } = value;

    public override string ToString() => "|" + Attributes + " " + Value;
}
