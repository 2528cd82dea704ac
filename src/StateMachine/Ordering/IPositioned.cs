namespace RaftKV.StateMachine.Ordering;

/// <summary>An item with a place in a canonical order that is the same on every replica (<see cref="PositionIndex{T}"/>).</summary>
internal interface IPositioned
{
    /// <summary>A stable 64-bit hash of the item's bytes: identical on every replica and every version.</summary>
    ulong Position { get; }
}
