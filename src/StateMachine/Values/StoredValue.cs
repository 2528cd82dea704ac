namespace RaftKV.StateMachine.Values;

/// <summary>
/// A value in the keyspace. Each subclass knows how to write itself in canonical form
/// (<see cref="WriteCanonical"/>): the same logical value always gives the same bytes, whatever order
/// its members were inserted in, which is what snapshots and digests need.
/// </summary>
internal abstract class StoredValue
{
    public abstract ValueKind Kind { get; }

    /// <summary>The name TYPE replies with.</summary>
    public string TypeName => Kind switch
    {
        ValueKind.String => "string",
        ValueKind.List => "list",
        ValueKind.Set => "set",
        ValueKind.SortedSet => "zset",
        ValueKind.Hash => "hash",
        _ => "none",
    };

    public abstract void WriteCanonical(CanonicalWriter writer);
}
