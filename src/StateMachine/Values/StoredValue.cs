namespace RaftKV.StateMachine.Values;

/// <summary>
/// A value in the keyspace. Each subclass knows how to write itself in canonical form
/// (<see cref="WriteCanonical"/>): the same logical value always gives the same bytes, whatever order
/// its members were inserted in and whatever representation it uses, which is what snapshots and
/// digests need. The representation (<see cref="Encoding"/>) is replicated state too: replies such as SMEMBERS of an
/// intset, HGETALL of a listpack hash and ZSCAN of a listpack sorted set follow it, and scripts run on every replica, so
/// a snapshot keeps it (<see cref="WriteSnapshot"/>) and a restored replica answers in the same order.
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
        ValueKind.Stream => "stream",
        _ => "none",
    };

    /// <summary>What OBJECT ENCODING answers: Redis 7.0's name for the representation in use.</summary>
    public abstract string Encoding { get; }

    /// <summary>A deep copy (COPY): later changes to either value never show in the other.</summary>
    public abstract StoredValue Clone();

    /// <summary>
    /// Starts recording, for a script's undo journal, the inverse of every change this value makes until the trail is
    /// closed (<see cref="UndoTrail"/>). Null when the journal should copy the value instead: a string never changes, a
    /// small encoding copies in O(1) or little more.
    /// </summary>
    public virtual UndoTrail? TrackChanges() => null;

    public abstract void WriteCanonical(CanonicalWriter writer);

    /// <summary>
    /// The length of <see cref="WriteCanonical"/>'s bytes (MEMORY USAGE, eviction's sizes, DEBUG OBJECT), without the order
    /// they are written in: a hashtable hash or set overrides it so that its size is not a sort of every element.
    /// </summary>
    public virtual long CanonicalLength()
    {
        var counter = new ByteCounter();
        WriteCanonical(counter);
        return counter.Count;
    }

    /// <summary>
    /// The value in a snapshot (format version 6): its canonical form, and for a set, hash or sorted set first its
    /// representation (and a listpack hash's pairs in its order), so that a replica restored from it is this value.
    /// </summary>
    public virtual void WriteSnapshot(CanonicalWriter writer) => WriteCanonical(writer);
}
