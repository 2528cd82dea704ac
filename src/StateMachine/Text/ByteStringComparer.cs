namespace RaftKV.StateMachine.Text;

/// <summary>
/// Equality and ordinal (unsigned byte-wise, shorter prefix first) order of byte strings. Hash codes are
/// per-process randomized: use them only for lookups, never for anything replicated or enumerated.
/// </summary>
public sealed class ByteStringComparer : IEqualityComparer<byte[]>, IComparer<byte[]>
{
    public static readonly ByteStringComparer Instance = new();

    /// <summary>The order as a cached delegate, for span sorts (sorting with an IComparer allocates a delegate per call).</summary>
    public static readonly Comparison<byte[]> Comparison = Instance.Compare;

    private ByteStringComparer()
    {
    }

    public bool Equals(byte[]? x, byte[]? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

    public int GetHashCode(byte[] obj) => HashOf(obj);

    /// <summary>The hash code of <paramref name="bytes"/> (per-process randomized, as <see cref="GetHashCode(byte[])"/>).</summary>
    public static int HashOf(ReadOnlySpan<byte> bytes)
    {
        var hash = new HashCode();
        hash.AddBytes(bytes);
        return hash.ToHashCode();
    }

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
