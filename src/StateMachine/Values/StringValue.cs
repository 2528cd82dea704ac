using RaftKV.StateMachine.Numbers;

namespace RaftKV.StateMachine.Values;

/// <summary>A Redis string. The array is owned by the value: replace the value, never mutate the array.</summary>
internal sealed class StringValue(byte[] bytes, StringEncoding encoding = StringEncoding.ByContent) : StoredValue
{
    /// <summary>Redis keeps strings up to this length in one allocation with the object (embstr).</summary>
    private const int EmbeddedLimit = 44;

    public byte[] Bytes { get; } = bytes;

    public StringEncoding StringEncoding { get; } = encoding;

    public override ValueKind Kind => ValueKind.String;

    public override string Encoding => StringEncoding switch
    {
        StringEncoding.Raw => "raw",
        StringEncoding.ByContent when Bytes.Length <= 20 && RedisIntegers.TryParse(Bytes, out _) => "int",
        _ => Bytes.Length <= EmbeddedLimit ? "embstr" : "raw",
    };

    public override StoredValue Clone() => new StringValue(Bytes, StringEncoding);

    public override void WriteCanonical(CanonicalWriter writer) => writer.WriteString(Bytes);
}
