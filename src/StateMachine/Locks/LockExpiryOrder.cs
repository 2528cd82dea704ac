using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Locks;

/// <summary>Locks by lease end, then by name (ordinal): the order expired locks are reclaimed in, the same on every replica.</summary>
internal sealed class LockExpiryOrder : IComparer<LockEntry>
{
    public static readonly LockExpiryOrder Instance = new();

    private LockExpiryOrder()
    {
    }

    public int Compare(LockEntry? x, LockEntry? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }

        var byExpiry = x.ExpireAtMs.CompareTo(y.ExpireAtMs);
        return byExpiry != 0 ? byExpiry : ByteStringComparer.Instance.Compare(x.Name, y.Name);
    }
}
