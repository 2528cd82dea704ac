using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Locks;

/// <summary>
/// The locks of RAFTKV.LOCK.*: a namespace of its own (a lock "x" and a key "x" are unrelated). Knows time only
/// through the arguments it is given, like <see cref="Keyspace.KeyTable"/>: an expired lock stays stored until a
/// write removes it, and is free to every reader and writer meanwhile.
/// <para>
/// Fencing tokens: every grant gets a token greater than every token granted before it in the log, so a resource
/// that remembers the largest token it has seen can refuse a holder whose lock has since passed to another.
/// The token is the Raft log index of the entry that applied the grant when that index is larger than
/// <see cref="LastToken"/>; otherwise (several grants in one batched entry, or no index known) it is
/// <see cref="LastToken"/> + 1. <see cref="LastToken"/> is part of the snapshot, so tokens never go back after a
/// restore, a restart or a leader change.
/// </para>
/// </summary>
internal sealed class LockTable
{
    /// <summary>The longest lease a lock may be granted: one year.</summary>
    public const long MaxTtlMs = 365L * 24 * 60 * 60 * 1000;

    // Name order is the canonical order (snapshots, digests); expiry order serves reclaiming and lease extension.
    private readonly SortedDictionary<byte[], LockEntry> _byName = new(ByteStringComparer.Instance);
    private readonly SortedSet<LockEntry> _byExpiry = new(LockExpiryOrder.Instance);

    /// <summary>Stored locks, including expired ones not yet removed.</summary>
    public int Count => _byName.Count;

    /// <summary>The largest fencing token ever granted (0 before the first grant).</summary>
    public long LastToken { get; private set; }

    /// <summary>The lock named <paramref name="name"/>, expired or not.</summary>
    public LockEntry? Find(byte[] name) => _byName.GetValueOrDefault(name);

    /// <summary>The lock named <paramref name="name"/> unless it is missing or expired at <paramref name="nowMs"/>.</summary>
    public LockEntry? FindLive(byte[] name, long nowMs) =>
        Find(name) is { } entry && !entry.IsExpiredAt(nowMs) ? entry : null;

    /// <summary>For writes: removes the lock if it is expired at <paramref name="nowMs"/>, then returns what is left.</summary>
    public LockEntry? FindForWrite(byte[] name, long nowMs)
    {
        var entry = Find(name);
        if (entry is not null && entry.IsExpiredAt(nowMs))
        {
            Remove(entry);
            return null;
        }

        return entry;
    }

    /// <summary>
    /// Grants a free lock (the caller has removed any previous holder) with the next fencing token: the larger of
    /// <paramref name="entryIndex"/> and <see cref="LastToken"/> + 1.
    /// </summary>
    public LockEntry Grant(byte[] name, byte[] owner, long nowMs, long ttlMs, long entryIndex)
    {
        if (_byName.ContainsKey(name))
        {
            throw new InvalidOperationException("The lock is still stored; remove it before granting it again.");
        }

        var token = Math.Max(entryIndex, checked(LastToken + 1));
        var entry = new LockEntry(name, owner, token, LeaseEnd(nowMs, ttlMs), ttlMs);
        Add(entry);
        LastToken = token;
        return entry;
    }

    /// <summary>Sets a stored lock's lease end and ttl.</summary>
    public void SetLease(LockEntry entry, long expireAtMs, long ttlMs)
    {
        _byExpiry.Remove(entry);
        entry.ChangeLease(expireAtMs, ttlMs);
        _byExpiry.Add(entry);
    }

    public void Remove(LockEntry entry)
    {
        _byName.Remove(entry.Name);
        _byExpiry.Remove(entry);
    }

    /// <summary>
    /// Removes up to <paramref name="limit"/> locks expired at <paramref name="nowMs"/>, earliest lease end first
    /// (then by name), so abandoned locks do not hold memory forever. Returns how many it removed.
    /// </summary>
    public int RemoveExpired(long nowMs, int limit)
    {
        var removed = 0;
        while (removed < limit && _byExpiry.Min is { } earliest && earliest.IsExpiredAt(nowMs))
        {
            Remove(earliest);
            removed++;
        }

        return removed;
    }

    /// <summary>
    /// A new leader's lease extension: every lock still held by the clock of the entries before this one
    /// (<paramref name="previousNowMs"/>) gets lease end max(its lease end, <paramref name="nowMs"/> + its ttl).
    /// Locks already expired by <paramref name="previousNowMs"/> were free under the old leader too and stay so.
    /// Returns how many leases moved later.
    /// </summary>
    public int ExtendLeases(long previousNowMs, long nowMs)
    {
        // Held locks are a suffix of the expiry order; collect them first, since extending re-sorts them.
        var held = new List<LockEntry>();
        foreach (var entry in _byExpiry.Reverse())
        {
            if (entry.IsExpiredAt(previousNowMs))
            {
                break;
            }

            held.Add(entry);
        }

        var extended = 0;
        foreach (var entry in held)
        {
            var end = LeaseEnd(nowMs, entry.TtlMs);
            if (end > entry.ExpireAtMs)
            {
                SetLease(entry, end, entry.TtlMs);
                extended++;
            }
        }

        return extended;
    }

    /// <summary>Every stored lock in canonical (ordinal name) order.</summary>
    public IEnumerable<LockEntry> InOrder() => _byName.Values;

    /// <summary>For the snapshot reader, which has checked that names arrive in order, each once.</summary>
    public void Load(LockEntry entry) => Add(entry);

    /// <summary>For the snapshot reader: the largest token granted before the snapshot.</summary>
    public void LoadLastToken(long lastToken) => LastToken = lastToken;

    /// <summary>Now + ttl, saturating instead of overflowing on an absurd entry timestamp.</summary>
    public static long LeaseEnd(long nowMs, long ttlMs) => nowMs > long.MaxValue - ttlMs ? long.MaxValue : nowMs + ttlMs;

    private void Add(LockEntry entry)
    {
        _byName.Add(entry.Name, entry);
        _byExpiry.Add(entry);
    }
}
