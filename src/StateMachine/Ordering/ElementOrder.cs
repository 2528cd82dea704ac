namespace RaftKV.StateMachine.Ordering;

/// <summary>The element scan order: <see cref="ElementSlot.Position"/>, then ordinal element bytes for hash collisions.</summary>
internal sealed class ElementOrder : IComparer<ElementSlot>
{
    public static readonly ElementOrder Instance = new();

    private ElementOrder()
    {
    }

    public int Compare(ElementSlot x, ElementSlot y)
    {
        var byPosition = x.Position.CompareTo(y.Position);
        return byPosition != 0 ? byPosition : x.Element.AsSpan().SequenceCompareTo(y.Element);
    }
}
