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

public sealed class SimpleStringReply(string value) : Reply
{
    public string Value { get; } = value;

    public override string ToString() => "+" + Value;
}

public sealed class ErrorReply(string message) : Reply
{
    /// <summary>The whole error line without the leading '-', e.g. <c>WRONGTYPE Operation against ...</c>.</summary>
    public string Message { get; } = message;

    public override string ToString() => "-" + Message;
}

public sealed class IntegerReply(long value) : Reply
{
    public long Value { get; } = value;

    public override string ToString() => ":" + Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class BulkReply(byte[] value) : Reply
{
    public byte[] Value { get; } = value;

    public override string ToString() => "$" + System.Text.Encoding.UTF8.GetString(Value);
}

public enum NullKind
{
    Bulk,
    Array,
}

public sealed class NullReply(NullKind kind) : Reply
{
    public NullKind Kind { get; } = kind;

    public override string ToString() => "(nil)";
}

public sealed class ArrayReply(IReadOnlyList<Reply> items) : Reply
{
    public IReadOnlyList<Reply> Items { get; } = items;

    public override string ToString() => "[" + string.Join(", ", Items) + "]";
}

/// <summary>A RESP3 set (<c>~</c>); an array under RESP2.</summary>
public sealed class SetReply(IReadOnlyList<Reply> items) : Reply
{
    public IReadOnlyList<Reply> Items { get; } = items;

    public override string ToString() => "~[" + string.Join(", ", Items) + "]";
}

/// <summary>A RESP3 map (<c>%</c>); a flat key, value, key, value array under RESP2.</summary>
public sealed class MapReply(IReadOnlyList<KeyValuePair<Reply, Reply>> entries) : Reply
{
    public IReadOnlyList<KeyValuePair<Reply, Reply>> Entries { get; } = entries;

    public override string ToString() => "{" + string.Join(", ", Entries.Select(e => e.Key + ": " + e.Value)) + "}";
}

/// <summary>A RESP3 double (<c>,</c>); a bulk string under RESP2.</summary>
public sealed class DoubleReply(double value) : Reply
{
    public double Value { get; } = value;

    public override string ToString() => "," + Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A RESP3 boolean (<c>#</c>); integer 1 or 0 under RESP2.</summary>
public sealed class BooleanReply(bool value) : Reply
{
    public bool Value { get; } = value;

    public override string ToString() => Value ? "#t" : "#f";
}

/// <summary>A RESP3 verbatim string (<c>=</c>, format "txt"); a bulk string under RESP2.</summary>
public sealed class VerbatimReply(string format, byte[] value) : Reply
{
    public string Format { get; } = format;

    public byte[] Value { get; } = value;

    public override string ToString() => "=" + Format + ":" + System.Text.Encoding.UTF8.GetString(Value);
}

/// <summary>A RESP3 push (<c>&gt;</c>), used for pub/sub messages; an array under RESP2.</summary>
public sealed class PushReply(IReadOnlyList<Reply> items) : Reply
{
    public IReadOnlyList<Reply> Items { get; } = items;

    public override string ToString() => ">[" + string.Join(", ", Items) + "]";
}
