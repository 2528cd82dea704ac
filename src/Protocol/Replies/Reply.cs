namespace RaftKV.Protocol.Replies;

/// <summary>
/// An immutable reply, independent of the wire protocol version. <see cref="Resp.RespReplyWriter"/>
/// renders it as RESP2 or RESP3; RESP3-only kinds degrade the way Redis degrades them for RESP2
/// (map -> flat array, double -> bulk string, null -> null bulk, boolean -> integer).
/// Replies are shared freely between threads: never mutate the arrays they hold.
/// </summary>
public abstract class Reply
{
    private protected Reply()
    {
    }

    public static readonly Reply Ok = new SimpleStringReply("OK");
    public static readonly Reply Pong = new SimpleStringReply("PONG");
    public static readonly Reply Queued = new SimpleStringReply("QUEUED");
    /// <summary>RESP3 null (<c>_</c>); a null bulk string (<c>$-1</c>) under RESP2.</summary>
    public static readonly Reply Null = new NullReply(NullKind.Bulk);
    /// <summary>RESP3 null; a null array (<c>*-1</c>) under RESP2.</summary>
    public static readonly Reply NullArray = new NullReply(NullKind.Array);
    public static readonly Reply Zero = new IntegerReply(0);
    public static readonly Reply One = new IntegerReply(1);
    public static readonly Reply EmptyArray = new ArrayReply([]);
    public static readonly Reply EmptyBulk = new BulkReply([]);

    public static Reply Integer(long value) => value switch
    {
        0 => Zero,
        1 => One,
        _ => new IntegerReply(value),
    };

    public static Reply Bulk(byte[]? value) => value is null ? Null : new BulkReply(value);

    public static Reply Bulk(string value) => new BulkReply(System.Text.Encoding.UTF8.GetBytes(value));

    public static Reply Simple(string value) => new SimpleStringReply(value);

    /// <summary>An error reply; <paramref name="message"/> carries its prefix, e.g. <c>ERR syntax error</c>.</summary>
    public static Reply Error(string message) => new ErrorReply(message);

    public static Reply Array(params Reply[] items) => items.Length == 0 ? EmptyArray : new ArrayReply(items);

    public static Reply Double(double value) => new DoubleReply(value);

    public static Reply Boolean(bool value) => new BooleanReply(value);
}
