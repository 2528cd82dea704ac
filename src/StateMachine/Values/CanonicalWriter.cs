using System.Buffers.Binary;

namespace RaftKV.StateMachine.Values;

/// <summary>
/// A sink for the canonical byte form of values (little-endian fixed-width integers, length-prefixed
/// byte strings). Implementations hash it (digests) or stream it (snapshots).
/// </summary>
internal abstract class CanonicalWriter
{
    public abstract void WriteBytes(ReadOnlySpan<byte> bytes);

    public void WriteByte(byte value) => WriteBytes([value]);

    public void WriteInt32(int value)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(buffer, value);
        WriteBytes(buffer);
    }

    public void WriteInt64(long value)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(buffer, value);
        WriteBytes(buffer);
    }

    public void WriteDouble(double value) => WriteInt64(BitConverter.DoubleToInt64Bits(value));

    public void WriteString(ReadOnlySpan<byte> value)
    {
        WriteInt32(value.Length);
        WriteBytes(value);
    }
}
