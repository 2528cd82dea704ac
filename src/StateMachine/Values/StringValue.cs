using RaftKV.StateMachine.Numbers;

namespace RaftKV.StateMachine.Values;

/// <summary>
/// A Redis string. The array is owned by the value: replace the value, never mutate the array. Most strings are
/// <see cref="StringEncoding.ByContent"/>, which this class stands for without a field: an object of a reference and
/// no more takes 24 bytes, one more byte 32, and strings are most of the keys (<see cref="Of"/> makes the others).
/// </summary>
internal class StringValue(byte[] bytes) : StoredValue
{
    /// <summary>Redis keeps strings up to this length in one allocation with the object (embstr).</summary>
    private const int EmbeddedLimit = 44;

    public byte[] Bytes { get; } = bytes;

    public virtual StringEncoding StringEncoding => StringEncoding.ByContent;

    public override ValueKind Kind => ValueKind.String;

    public override string Encoding => StringEncoding switch
    {
        StringEncoding.Raw => "raw",
        StringEncoding.ByContent when Bytes.Length <= 20 && RedisIntegers.TryParse(Bytes, out _) => "int",
        _ => Bytes.Length <= EmbeddedLimit ? "embstr" : "raw",
    };

    /// <summary>A string that Redis would have stored as <paramref name="encoding"/> says.</summary>
    public static StringValue Of(byte[] bytes, StringEncoding encoding) =>
        encoding == StringEncoding.ByContent ? new StringValue(bytes) : new Encoded(bytes, encoding);

    public override StoredValue Clone() => Of(Bytes, StringEncoding);

    public override void WriteCanonical(CanonicalWriter writer) => writer.WriteString(Bytes);

    /// <summary>A string built otherwise than by SET (INCRBYFLOAT, APPEND, SETRANGE), which OBJECT ENCODING tells apart.</summary>
    private sealed class Encoded(byte[] bytes, StringEncoding encoding) : StringValue(bytes)
    {
        public override StringEncoding StringEncoding { get; } = encoding;
    }
}
