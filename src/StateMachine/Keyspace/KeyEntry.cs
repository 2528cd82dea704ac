using System.IO.Hashing;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Keyspace;

/// <summary>One key of the keyspace: its value and absolute expiry (Unix ms, or <see cref="NoExpiry"/>).</summary>
internal sealed class KeyEntry
{
    public const long NoExpiry = -1;

    public KeyEntry(byte[] key, StoredValue value, long expireAtMs)
    {
        Key = key;
        Position = PositionOf(key);
        Value = value;
        ExpireAtMs = expireAtMs;
    }

    private KeyEntry(ulong position)
    {
        Key = [];
        Position = position;
        Value = new StringValue([]);
        ExpireAtMs = NoExpiry;
    }

    public byte[] Key { get; }

    /// <summary>
    /// The key's place in the canonical order (KEYS, SCAN cursors, snapshots): a stable 64-bit hash,
    /// identical on every replica and every version, unlike <see cref="object.GetHashCode"/>.
    /// </summary>
    public ulong Position { get; }

    public StoredValue Value { get; set; }

    public long ExpireAtMs { get; set; }

    public bool HasExpiry => ExpireAtMs != NoExpiry;

    /// <summary>A key whose expiry is at or before <paramref name="nowMs"/> is logically absent.</summary>
    public bool IsExpiredAt(long nowMs) => ExpireAtMs != NoExpiry && ExpireAtMs <= nowMs;

    /// <summary>An entry that sorts before every real key at <paramref name="position"/>; for range queries only.</summary>
    public static KeyEntry CreateProbe(ulong position) => new(position);

    public static ulong PositionOf(ReadOnlySpan<byte> key) => XxHash64.HashToUInt64(key);
}
