namespace RaftKV.StateMachine.Keyspace;

/// <summary>
/// The expiry index's order: earliest <see cref="KeyEntry.ExpireAtMs"/> first, then the canonical key order,
/// so that equal expiry times are listed alike on every replica.
/// </summary>
internal sealed class ExpiryOrder : IComparer<KeyEntry>
{
    public static readonly ExpiryOrder Instance = new();

    private ExpiryOrder()
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

        var byTime = x.ExpireAtMs.CompareTo(y.ExpireAtMs);
        return byTime != 0 ? byTime : KeyOrder.Instance.Compare(x, y);
    }
}
