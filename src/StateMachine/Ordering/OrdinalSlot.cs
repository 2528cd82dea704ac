using System.Buffers.Binary;

namespace RaftKV.StateMachine.Ordering;

/// <summary>
/// A member in ordinal byte order, for <see cref="OrdinalIndex"/>: the member's reference alone (8 bytes a slot, as in the
/// sorted list it replaces). Its position, its first 8 bytes read big-endian and zero padded, never decreases along ordinal
/// order, so ordinal order is position then the whole bytes, as <see cref="PositionIndex{T}"/> asks.
/// </summary>
internal readonly struct OrdinalSlot(byte[] member) : IPositioned
{
    public ulong Position
    {
        get
        {
            Span<byte> prefix = stackalloc byte[8];
            prefix.Clear();
            Member.AsSpan(0, Math.Min(8, Member.Length)).CopyTo(prefix);
            return BinaryPrimitives.ReadUInt64BigEndian(prefix);
        }
    }

    public byte[] Member { get; } = member;
}
