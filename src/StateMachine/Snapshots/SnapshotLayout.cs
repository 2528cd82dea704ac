namespace RaftKV.StateMachine.Snapshots;

/// <summary>
/// The snapshot format. THIS IS A PERSISTED FORMAT (snapshots on disk, backups, InstallSnapshot):
/// pinned by a golden test; change it only with a new <see cref="FormatVersion"/>. All integers
/// little-endian, byte strings as i32 length + bytes:
/// <code>
/// magic "RKVSNAP1" | version:u16 | index:i64 | term:i64 | now:i64 | keyCount:i64
/// keyCount * (key:string | kind:u8 | expireAtMs:i64 (-1 = none) | value)
/// checksum:u64 = XxHash64 (seed 0) of every byte before it
/// </code>
/// Values are their canonical form (<see cref="Values.StoredValue.WriteCanonical"/>): string = string;
/// list = i32 count + strings in order; set = i32 count + members in ordinal order; hash = i32 count +
/// (field, value) in ordinal field order; zset = i32 count + (member, score:f64 bits) by score then member.
/// Keys come in canonical key order, so equal states give byte-equal snapshots.
/// </summary>
internal static class SnapshotLayout
{
    public const ushort FormatVersion = 1;

    public const int ChunkSize = 64 * 1024;

    public static ReadOnlySpan<byte> Magic => "RKVSNAP1"u8;
}
