using System.IO.Hashing;

namespace RaftKV.StateMachine.Ordering;

/// <summary>One element of a large set, hash (its field) or sorted set (its member) in <see cref="ElementScanIndex"/>.</summary>
internal readonly struct ElementSlot(byte[] element) : IPositioned
{
    /// <summary>The stable hash of the element's bytes: SSCAN, HSCAN and ZSCAN cursors are these positions.</summary>
    public ulong Position { get; } = XxHash64.HashToUInt64(element);

    public byte[] Element { get; } = element;
}
