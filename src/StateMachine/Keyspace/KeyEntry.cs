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
    /// The LFU counter (Redis's 8-bit logarithmic one): 5 for a new key, or what RESTORE ... FREQ set; under an LFU
    /// maxmemory-policy each access decays it by the minutes idle and may increment it (<see cref="AccessLfu"/>).
    /// Like the access time, not replicated state: never in a snapshot or a digest.
    /// </summary>
    public byte Frequency { get; set; } = InitialFrequency;

    /// <summary>
    /// Redis's LFUDecrAndReturn: the counter less one for every <paramref name="decayMinutes"/> minutes since the last
    /// access (0: no decay), what OBJECT FREQ reports and LFU eviction compares.
    /// </summary>
    public int LfuCount(long nowMs, int decayMinutes)
    {
        if (decayMinutes <= 0)
            return Frequency;
        var periods = IdleSeconds(nowMs) / 60 / decayMinutes;
        return periods >= Frequency ? 0 : Frequency - (int)periods;
    }

    /// <summary>
    /// An access under an LFU policy (Redis's updateLFU): the counter decays, then grows by one with probability
    /// 1 / ((counter - 5) * logFactor + 1) (Redis's LFULogIncr), then the access time is set. The draw is a hash of the
    /// key, the time and the counter rather than a process's random numbers, so the same accesses give the same counters.
    /// </summary>
    public void AccessLfu(long nowMs, int logFactor, int decayMinutes)
    {
        var counter = LfuCount(nowMs, decayMinutes);
        if (counter < byte.MaxValue)
        {
            var baseValue = Math.Max(0, counter - InitialFrequency);
            var probability = 1.0 / ((double)baseValue * Math.Max(0, logFactor) + 1);
            var draw = (Mix(Position ^ (ulong)nowMs ^ ((ulong)counter << 56)) >> 11) * (1.0 / (1UL << 53));
            if (draw < probability)
                counter++;
        }

        Frequency = (byte)counter;
        Touch(nowMs);
    }

    // SplitMix64's finalizer: a well-spread 64-bit hash of a 64-bit value.
    private static ulong Mix(ulong value)
    {
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9UL;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EBUL;
        return value ^ (value >> 31);
    }

    /// <summary>Redis's LFU_INIT_VAL.</summary>
    public const byte InitialFrequency = 5;

    /// <summary>Whole seconds from the last access to <paramref name="nowMs"/>; 0 if the clock is behind it.</summary>
    public long IdleSeconds(long nowMs) => Math.Max(0, nowMs / 1000 - _accessSeconds);

    public static ulong PositionOf(ReadOnlySpan<byte> key) => XxHash64.HashToUInt64(key);
}
