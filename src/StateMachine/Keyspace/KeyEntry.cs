using System.IO.Hashing;
using RaftKV.StateMachine.Ordering;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Keyspace;

/// <summary>
/// One key of the keyspace: its value and absolute expiry (Unix ms, or <see cref="NoExpiry"/>). Only
/// <see cref="KeyTable"/> creates entries and changes their expiry (through its private subclasses), so
/// its expiry index can never go stale: nothing else can assign <see cref="ExpireAtMs"/>. A short key may be
/// kept inside the entry rather than in an array of its own (<see cref="KeySpan"/>).
/// </summary>
internal abstract class KeyEntry : IPositioned
{
    public const long NoExpiry = -1;

    // Unix seconds of the last access (a read or a write), for OBJECT IDLETIME: 4 bytes, as Redis keeps a 24-bit LRU
    // clock per object. Not replicated state: never in a snapshot or a digest. Writes set it at apply from the entry's
    // time, the same on every replica; reads only on the node that serves them, so replicas may differ, as a Redis
    // master and its replicas do. Concurrent reads may race to store it: any of their times is right.
    private uint _accessSeconds;

    private protected KeyEntry(ulong position, StoredValue value, long expireAtMs)
    {
        Position = position;
        Value = value;
        ExpireAtMs = expireAtMs;
    }

    /// <summary>The key's bytes: the entry's own array, never to be changed, or a copy for a key kept inside the entry.</summary>
    public abstract byte[] Key { get; }

    /// <summary>The key's bytes without a copy.</summary>
    public abstract ReadOnlySpan<byte> KeySpan { get; }

    /// <summary>
    /// The key's place in the canonical order (KEYS, SCAN cursors, snapshots): a stable 64-bit hash,
    /// identical on every replica and every version, unlike <see cref="object.GetHashCode"/>.
    /// </summary>
    public ulong Position { get; }

    /// <summary>Replaced only through <see cref="KeyTable.Put"/>.</summary>
    public StoredValue Value { get; private protected set; }

    /// <summary>Changed only through <see cref="KeyTable.Put"/> and <see cref="KeyTable.SetExpiry"/>.</summary>
    public long ExpireAtMs { get; private protected set; }

    /// <summary>
    /// The modification revision (etcd's mod_revision): the <see cref="KeyTable.Revision"/> of the entry that last
    /// changed this key (created it, changed its value or expiry). Replicated state: equal on every replica, kept in
    /// snapshots; WATCH compares it at EXEC's apply. Assigned only by <see cref="KeyTable"/>.
    /// </summary>
    public long Revision { get; private protected set; }

    public bool HasExpiry => ExpireAtMs != NoExpiry;

    /// <summary>A key whose expiry is at or before <paramref name="nowMs"/> is logically absent.</summary>
    public bool IsExpiredAt(long nowMs) => ExpireAtMs != NoExpiry && ExpireAtMs <= nowMs;

    /// <summary>Records an access at <paramref name="nowMs"/> (Unix ms).</summary>
    public void Touch(long nowMs) => _accessSeconds = (uint)Math.Clamp(nowMs / 1000, 0, uint.MaxValue);

    /// <summary>
    /// The LFU counter OBJECT FREQ reports under an LFU maxmemory-policy: Redis's initial 5 for a new key, or what
    /// RESTORE ... FREQ set. Not decayed nor incremented by accesses (RaftKV evicts nothing); not kept in snapshots.
    /// </summary>
    public byte Frequency { get; set; } = InitialFrequency;

    /// <summary>Redis's LFU_INIT_VAL.</summary>
    public const byte InitialFrequency = 5;

    /// <summary>Whole seconds from the last access to <paramref name="nowMs"/>; 0 if the clock is behind it.</summary>
    public long IdleSeconds(long nowMs) => Math.Max(0, nowMs / 1000 - _accessSeconds);

    public static ulong PositionOf(ReadOnlySpan<byte> key) => XxHash64.HashToUInt64(key);
}
