namespace RaftKV.StateMachine.Locks;

/// <summary>
/// One lock in the <see cref="LockTable"/>: who holds it, the fencing token it was granted with, and its lease
/// (absolute expiry in Unix ms by the entries' clock, and the ttl last asked for, which a leader change extends by).
/// The lease fields change only through <see cref="LockTable.SetLease"/>, which keeps the expiry index in step.
/// </summary>
internal sealed class LockEntry(byte[] name, byte[] owner, long token, long expireAtMs, long ttlMs)
{
    public byte[] Name { get; } = name;

    public byte[] Owner { get; } = owner;

    public long Token { get; } = token;

    public long ExpireAtMs { get; private set; } = expireAtMs;

    public long TtlMs { get; private set; } = ttlMs;

    /// <summary>A lock whose lease ends at or before <paramref name="nowMs"/> is free, as a key with that expiry is absent.</summary>
    public bool IsExpiredAt(long nowMs) => ExpireAtMs <= nowMs;

    public bool IsOwnedBy(ReadOnlySpan<byte> owner) => owner.SequenceEqual(Owner);

    /// <summary>Only for <see cref="LockTable"/>, while the entry is out of its expiry index.</summary>
    internal void ChangeLease(long expireAtMs, long ttlMs)
    {
        ExpireAtMs = expireAtMs;
        TtlMs = ttlMs;
    }
}
