using System.IO.Hashing;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Keyspace;

/// <summary>
/// One key of the keyspace: its value and absolute expiry (Unix ms, or <see cref="NoExpiry"/>). Only
/// <see cref="KeyTable"/> creates entries and changes their expiry (through its private subclass), so
/// its expiry index can never go stale: nothing else can assign <see cref="ExpireAtMs"/>.
/// </summary>
internal abstract class KeyEntry
{
    public const long NoExpiry = -1;

    private protected KeyEntry(byte[] key, ulong position, StoredValue value, long expireAtMs)
    {
        Key = key;
        Position = position;
        Value = value;
        ExpireAtMs = expireAtMs;
    }

    public byte[] Key { get; }

    /// <summary>
    /// The key's place in the canonical order (KEYS, SCAN cursors, snapshots): a stable 64-bit hash,
    /// identical on every replica and every version, unlike <see cref="object.GetHashCode"/>.
    /// </summary>
    public ulong Position { get; }

    /// <summary>Replaced only through <see cref="KeyTable.Put"/>.</summary>
    public StoredValue Value { get; private protected set; }

    /// <summary>Changed only through <see cref="KeyTable.Put"/> and <see cref="KeyTable.SetExpiry"/>.</summary>
    public long ExpireAtMs { get; private protected set; }

    public bool HasExpiry => ExpireAtMs != NoExpiry;

    /// <summary>A key whose expiry is at or before <paramref name="nowMs"/> is logically absent.</summary>
    public bool IsExpiredAt(long nowMs) => ExpireAtMs != NoExpiry && ExpireAtMs <= nowMs;

    public static ulong PositionOf(ReadOnlySpan<byte> key) => XxHash64.HashToUInt64(key);
}
