namespace RaftKV.StateMachine.Keyspace;

/// <summary>The canonical key order: <see cref="KeyEntry.Position"/>, then ordinal key bytes for hash collisions.</summary>
internal sealed class KeyOrder : IComparer<KeyEntry>
{
    public static readonly KeyOrder Instance = new();

    private KeyOrder()
    {
    }

    public int Compare(KeyEntry? x, KeyEntry? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }

        var byPosition = x.Position.CompareTo(y.Position);
        return byPosition != 0 ? byPosition : x.KeySpan.SequenceCompareTo(y.KeySpan);
    }
}
