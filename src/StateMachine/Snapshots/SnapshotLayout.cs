namespace RaftKV.StateMachine.Snapshots;

/// <summary>
/// The snapshot format. THIS IS A PERSISTED FORMAT (snapshots on disk, backups, InstallSnapshot):
/// pinned by golden tests; change it only with a new format version, and keep reading the old ones.
/// All integers little-endian, byte strings as i32 length + bytes:
/// <code>
/// magic "RKVSNAP1" | version:u16 | index:i64 | term:i64 | now:i64 | keyCount:i64
/// version 3 and 4: configCount:i32 | configCount * (name:string | value:string)
/// keyCount * (key:string | kind:u8 | expireAtMs:i64 (-1 = none) | version 4 on: revision:i64 | value)
/// version 2 on: lastToken:i64 | lockCount:i64
///                 lockCount * (name:string | owner:string | token:i64 | expireAtMs:i64 | ttlMs:i64)
/// version 4 on: horizon:i64 | tombstoneCount:i32 | tombstoneCount * (key:string | revision:i64)
/// version 4 on: scriptCount:i32 | scriptCount * body:string (the script cache, in ordinal SHA1 order)
///            then the function libraries (<see cref="FunctionSnapshot"/>)
/// version 5 on: secret:string (the cluster secret; empty when none is set yet)
///            then the ACL users (<see cref="AclSnapshot"/>)
/// checksum:u64 = XxHash64 (seed 0) of every byte before it
/// </code>
/// Values are their canonical form (<see cref="Values.StoredValue.WriteCanonical"/>): string = string;
/// list = i32 count + strings in order; set = i32 count + members in ordinal order; hash = i32 count +
/// (field, value) in ordinal field order; zset = i32 count + (member, score:f64 bits) by score then member;
/// stream (kind 5, version 3 on) = <see cref="Values.Streams.StreamValue.WriteCanonical"/>. Version 6 writes a string's
/// encoding first (u8 <see cref="Values.StringEncoding"/>), a set, hash or sorted set's representation first
/// (<see cref="Values.StoredValue.WriteSnapshot"/>; u8: 0 = intset or listpack, 1 = hashtable or skiplist), and a listpack
/// hash's pairs in the listpack's order, and loads each value in that
/// representation whatever the encoding limits: a replica restored from a snapshot answered SMEMBERS, HGETALL, HKEYS,
/// HSCAN, ZSCAN and OBJECT ENCODING in another order or form than the replicas that applied the log, and a script
/// writing what it read made them diverge.
/// Keys come in canonical key order and locks in ordinal name order, so equal states give byte-equal snapshots.
/// Version 2 adds the lock table. Version 3 adds the stream value kind and the runtime configuration (CONFIG SET), before
/// the keys so that loaded values take the representations its encoding thresholds give: the parameters that differ
/// from their defaults, canonical name and the value CONFIG GET reports, in ordinal name order (a count of 0 when none
/// does). Version 4 adds each key's modification revision, the revision section (the tombstones' horizon and the
/// tombstones oldest first: <see cref="Keyspace.Tombstones"/>; a key read from an older version gets revision 0; the
/// last revision applied is not kept: revisions come from log indexes, which only grow) and the replicated script cache
/// after it (EVAL, SCRIPT LOAD; SHA1s are recomputed from the bodies on load), then the function libraries. Version 5 appends
/// the cluster secret (<see cref="Security.ClusterSecret"/>) and then the ACL users at the end. The writer always writes version 6
/// (whether a stream will be written is not known when the header is), with the lock section; versions 1 to 5 are still read.
/// </summary>
internal static class SnapshotLayout
{
    /// <summary>The newest version, which this node reads along with <see cref="LocksVersion"/> and <see cref="KeysOnlyVersion"/>.</summary>
    public const ushort FormatVersion = 6;

    /// <summary>The first version that keeps each set's, hash's and sorted set's representation (and a listpack hash's order).</summary>
    public const ushort RepresentationsVersion = 6;

    /// <summary>The first version with the ACL users section (at the end, after the function libraries).</summary>
    public const ushort AclVersion = 5;

    /// <summary>The version that added the runtime configuration and streams.</summary>
    public const ushort ConfigVersion = 3;

    /// <summary>The version that added modification revisions and tombstones (WATCH).</summary>
    public const ushort RevisionsVersion = 4;

    /// <summary>The first version with the script cache section.</summary>
    public const ushort ScriptsVersion = 4;

    /// <summary>The first version with the cluster secret section, at the end.</summary>
    public const ushort SecretVersion = 5;

    /// <summary>The version without the lock table.</summary>
    public const ushort KeysOnlyVersion = 1;

    /// <summary>The version with the lock table, without streams and configuration.</summary>
    public const ushort LocksVersion = 2;

    public const int ChunkSize = 64 * 1024;

    public static ReadOnlySpan<byte> Magic => "RKVSNAP1"u8;
}
