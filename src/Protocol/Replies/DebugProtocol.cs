using System.Text;
using R = RaftKV.Protocol.Replies.Reply;

namespace RaftKV.Protocol.Replies;

/// <summary>
/// DEBUG PROTOCOL type: one reply of each RESP3 kind, as Redis 7.0 sends them, for clients to test their parsers (Redis's
/// own test suite does). <c>push</c> (an out-of-band push followed by a reply) is not offered.
/// </summary>
public static class DebugProtocol
{
    public const string WrongType =
        "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false";

    public static R For(string type) => type.ToLowerInvariant() switch
    {
        "string" => R.Bulk("Hello World"),
        "integer" => R.Integer(12345),
        "double" => new DoubleReply(3.141),
        "bignum" => new BigNumberReply("1234567999999999999999999999999999999"),
        "null" => R.Null,
        "array" => R.Array(R.Integer(0), R.Integer(1), R.Integer(2)),
        "set" => new SetReply([R.Integer(0), R.Integer(1), R.Integer(2)]),
        "map" => new MapReply([.. Enumerable.Range(0, 3).Select(static i =>
            new KeyValuePair<R, R>(R.Integer(i), R.Boolean(i == 1)))]),
        "attrib" => new AttributeReply(
            new MapReply([new(R.Bulk("key-popularity"), R.Array(R.Bulk("key:123"), R.Integer(90)))]),
            R.Bulk("Some real reply following the attribute")),
        "push" => R.Error("ERR DEBUG PROTOCOL push is not supported by RaftKV"),
        "true" => R.Boolean(true),
        "false" => R.Boolean(false),
        "verbatim" => new VerbatimReply("txt", Encoding.UTF8.GetBytes("This is a verbatim\nstring")),
        _ => R.Error(WrongType),
    };
}
