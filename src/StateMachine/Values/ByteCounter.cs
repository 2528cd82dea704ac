namespace RaftKV.StateMachine.Values;

/// <summary>A canonical writer that only counts the bytes written (<see cref="StoredValue.CanonicalLength"/>).</summary>
internal sealed class ByteCounter : CanonicalWriter
{
    public long Count { get; private set; }

    public override void WriteBytes(ReadOnlySpan<byte> bytes) => Count += bytes.Length;
}
