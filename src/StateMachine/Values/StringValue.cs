namespace RaftKV.StateMachine.Values;

/// <summary>A Redis string. The array is owned by the value: replace the value, never mutate the array.</summary>
internal sealed class StringValue(byte[] bytes) : StoredValue
{
    public byte[] Bytes { get; } = bytes;

    public override ValueKind Kind => ValueKind.String;

    public override void WriteCanonical(CanonicalWriter writer) => writer.WriteString(Bytes);
}
