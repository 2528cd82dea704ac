using System.Runtime.CompilerServices;
using RaftKV.StateMachine.Ordering;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Keyspace;

/// <summary>
/// The keyspace: a dictionary for lookups, a sorted index in canonical order for KEYS, SCAN and
/// snapshots, and an expiry index (<see cref="ExpiryOrder"/>) of the keys that have an expiry, for the
/// leader's expiry sweeps. Knows nothing of time: callers decide what an expired entry means (reads hide
/// it, writes delete it first). The expiry index is derived state: never persisted, rebuilt as entries
/// are put (a snapshot load puts every key). Every change of an expiry goes through this class, which
/// is the only one able to assign <see cref="KeyEntry.ExpireAtMs"/>.
/// <para>
/// While a snapshot is being written (<see cref="Freeze"/>), every change of an entry (its value, in place or
/// replaced, its expiry, its removal, its creation) must first pass through <see cref="FindForWrite"/>,
/// <see cref="Put"/>, <see cref="SetExpiry"/>, <see cref="Remove"/> or <see cref="Clear"/>, which tell the
/// <see cref="FrozenKeyspace"/> first. Commands never mutate a value found through <see cref="Find"/> or
/// <see cref="FindLive"/>: that would change a snapshot being written (IncrementalSnapshotTests replays every write
/// command against a sliced snapshot to catch it).
/// </para>
/// </summary>
internal sealed partial class KeyTable
{
    // The entries by key: a set of entries rather than a key-to-entry dictionary (16 bytes a slot instead of 24), found
    // by key bytes through the alternate lookup. Lookups only, never enumerated.
    private readonly HashSet<KeyEntry> _entries;
    private readonly HashSet<KeyEntry>.AlternateLookup<ReadOnlySpan<byte>> _byKey;

    // Replaced (not cleared) by Clear while frozen: the frozen view keeps the old index.
    private KeyOrderIndex _order = new();

    // One red-black node per key with an expiry (about 48 bytes on x64); keys without one cost nothing.
    private readonly SortedSet<KeyEntry> _expiring = new(ExpiryOrder.Instance);

    // The snapshot being written, told of every change before it happens; null almost always.
    private FrozenKeyspace? _frozen;

    // The running script's undo journal (UndoJournal), told of every change alongside _frozen; null outside scripts.
    private UndoJournal? _undo;

    public KeyTable()
    {
        _entries = new HashSet<KeyEntry>(EntryKeyComparer.Instance);
        _byKey = _entries.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public int Count => _entries.Count;

    /// <summary>Keyspace notifications of the changes applied (<see cref="KeyspaceNotifier"/>).</summary>
    public KeyspaceNotifier Events { get; } = new();

    /// <summary>The keys changed by the commands applied, for client-side caching (<see cref="KeyChanges"/>).</summary>
    public KeyChanges Changes { get; } = new();

    /// <summary>Reports a keyspace event of class <paramref name="type"/> (<see cref="Configuration.KeyspaceEvents"/>).</summary>
    public void Notify(int type, string name, ReadOnlySpan<byte> key) => Events.Notify(type, name, key);

    /// <summary>
    /// The revision every change made now is stamped with (<see cref="KeyEntry.Revision"/>), set by the store before
    /// each apply: the entry's log index and position in its batch, strictly increasing along the log. Not kept in
    /// snapshots: it is a function of the entry being applied.
    /// </summary>
    public long Revision { get; set; }

    /// <summary>Recently deleted keys and the revision of their deletion (WATCH on a missing key).</summary>
    public Tombstones Tombstones { get; } = new();

    /// <summary>
    /// The modification revision of <paramref name="key"/>: its entry's (expired or not), else its tombstone's, else
    /// the tombstones' horizon. Equal revisions at two moments mean the key was not changed in between (nor deleted,
    /// unless it was deleted because it had expired, which does not change it logically).
    /// </summary>
    public long RevisionOf(byte[] key) => Find(key)?.Revision ?? Tombstones.RevisionOfMissing(key);

    /// <summary>
    /// Keys deleted because they had expired (an expiry sweep, or a write finding its key expired), as Redis's
    /// expired_keys. Deletions happen only at apply, so every replica counts the same from the same start; a statistic
    /// of this process, not state: never in a snapshot or a digest.
    /// </summary>
    public long ExpiredRemovals { get; private set; }

    /// <summary>Stored keys that have an expiry, expired or not.</summary>
    public int ExpiringCount => _expiring.Count;

    /// <summary>The entry for <paramref name="key"/>, expired or not.</summary>
    public KeyEntry? Find(byte[] key) => _byKey.TryGetValue(key, out var entry) ? entry : null;

    /// <summary>
    /// The time of the entry being applied (Unix ms), at which <see cref="Put"/> records a key's access; set by the store
    /// before each apply and to the snapshot's time while a snapshot loads.
    /// </summary>
    public long AccessClockMs { get; set; }

    /// <summary>
    /// The entry for <paramref name="key"/> unless it is missing or expired at <paramref name="nowMs"/>; a live entry
    /// is accessed at <paramref name="nowMs"/> (OBJECT IDLETIME). Commands that must not count as an access (TYPE,
    /// EXISTS, TTL, OBJECT, as in Redis) use <see cref="Peek"/>.
    /// </summary>
    public KeyEntry? FindLive(byte[] key, long nowMs)
    {
        var entry = Peek(key, nowMs);
        if (entry is not null)
            Access(entry, nowMs);
        return entry;
    }

    /// <summary>As <see cref="FindLive"/>, without recording an access.</summary>
    public KeyEntry? Peek(byte[] key, long nowMs)
    {
        var entry = Find(key);
        if (entry is null)
            return null;
        if (!entry.IsExpiredAt(nowMs))
            return entry;
        if (t_collectingExpired)
            (t_expiredSeen ??= []).Add(key);
        return null;
    }

    // Keys a client's read on this thread found stored but expired (KeyValueStore.Read collects them; Redis's lazy
    // expiry would delete each and invalidate it for client tracking). Never state: a read changes nothing.
    [ThreadStatic]
    private static bool t_collectingExpired;

    [ThreadStatic]
    private static List<byte[]>? t_expiredSeen;

    /// <summary>From now on this thread collects the keys <see cref="Peek"/> finds expired (none collected yet).</summary>
    internal static void BeginCollectingExpired()
    {
        t_collectingExpired = true;
        t_expiredSeen = null;
    }

    /// <summary>Stops collecting; the keys collected stay for <see cref="TakeExpiredSeen"/>.</summary>
    internal static void EndCollectingExpired() => t_collectingExpired = false;

    /// <summary>The keys collected by the last collecting read on this thread (null: none), left in place.</summary>
    internal static List<byte[]>? ExpiredSeen => t_expiredSeen;

    /// <summary>The keys collected by the last collecting read on this thread (null: none), once.</summary>
    internal static List<byte[]>? TakeExpiredSeen()
    {
        var seen = t_expiredSeen;
        t_expiredSeen = null;
        return seen;
    }

    /// <summary>For writes: deletes the key if it is expired at <paramref name="nowMs"/>, then returns what is left.</summary>
    public KeyEntry? FindForWrite(byte[] key, long nowMs)
    {
        var entry = Find(key);
        if (entry is not null && entry.IsExpiredAt(nowMs))
        {
            RemoveExpired(key);
            return null;
        }

        // The caller may change the value in place: this is its last chance to be saved as it was.
        if (entry is not null)
        {
            _frozen?.BeforeChange(key, entry);
            _undo?.BeforeChange(key, entry);
            Access(entry, nowMs);

            // The one place a write reaches an existing key's value: stamped even if the command then leaves it as
            // it was (a false WATCH conflict at worst, never a missed one).
            ((Entry)entry).AssignRevision(Revision);
            Changes.Record(entry.KeySpan, entry.Value);
        }

        return entry;
    }

    /// <summary>
    /// Before a change of a live key's representation only (SORT turning a listpack sorted set into a skip list, as Redis
    /// does): the snapshot being written and a script's undo journal save the key as it is, since snapshots keep the
    /// representation; the key is not stamped, as its contents stay (Redis signals no change).
    /// </summary>
    public void BeforeRepresentationChange(KeyEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _frozen?.BeforeChange(entry.Key, entry);
        _undo?.BeforeChange(entry.Key, entry);
    }

    /// <summary>
    /// For a write that may change nothing: the live entry, not stamped, when <paramref name="unchanged"/> says the command
    /// will leave it as it is (as Redis, which signals no modification then, so a WATCH on it holds); otherwise
    /// <see cref="FindForWrite"/>. The caller must then not change the entry.
    /// </summary>
    public KeyEntry? FindForWriteUnless(byte[] key, long nowMs, Func<KeyEntry, bool> unchanged)
    {
        ArgumentNullException.ThrowIfNull(unchanged);
        // One access either way (LFU counts each): Peek records none, FindForWrite records it.
        var live = Peek(key, nowMs);
        if (live is null || !unchanged(live))
            return FindForWrite(key, nowMs);
        Access(live, nowMs);
        return live;
    }

    /// <summary>
    /// For a write that will leave the key as it is (a source it only reads, a refused change): the live entry, an expired
    /// one removed as any write removes it, one access counted, never stamped. The caller must not change the entry.
    /// </summary>
    public KeyEntry? FindUnchanged(byte[] key, long nowMs) => FindForWriteUnless(key, nowMs, static _ => true);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any value and expiry.</summary>
    public KeyEntry Put(byte[] key, StoredValue value, long expireAtMs) => Put(key, Find(key), value, expireAtMs);

    /// <summary>
    /// As <see cref="Put(byte[], StoredValue, long)"/>, for a command that has just looked the key up for a write
    /// (<see cref="FindForWrite"/>, <see cref="FindUnchanged"/>) and changed nothing since: <paramref name="found"/> is what
    /// that returned, the key's entry or null for none, so the key is not looked up again (a plain SET's second lookup).
    /// </summary>
    public KeyEntry Put(byte[] key, KeyEntry? found, StoredValue value, long expireAtMs)
    {
        System.Diagnostics.Debug.Assert(ReferenceEquals(found, Find(key)), "Put was given another entry than the key's");
        var entry = found;
        _frozen?.BeforeChange(key, entry);
        _undo?.BeforeChange(key, entry);
        if (entry is not null)
        {
            // Recorded with the value it replaces, before SetExpiry records it with the new one.
            Changes.Record(entry.KeySpan, entry.Value, entry.IsExpiredAt(AccessClockMs));
            ((Entry)entry).AssignValue(value);
            SetExpiry(entry, expireAtMs);
            ((Entry)entry).AssignRevision(Revision);
            entry.Touch(AccessClockMs);
            return entry;
        }

        var created = Entry.Of(key, value, expireAtMs);
        created.AssignRevision(Revision);
        Changes.Record(key, null);
        Tombstones.Forget(key);
        created.Touch(AccessClockMs);
        _entries.Add(created);
        _order.Add(created);
        _ordinalKeys?.Add(created.Key);
        if (created.HasExpiry)
        {
            _expiring.Add(created);
        }

        // Redis's dbAdd: a key that did not exist is "new" before the command reports its own event.
        Notify(Configuration.KeyspaceEvents.New, "new", key);

        return created;
    }

    /// <summary>Gives a stored <paramref name="entry"/> a new expiry (or <see cref="KeyEntry.NoExpiry"/>), keeping the index in step.</summary>
    public void SetExpiry(KeyEntry entry, long expireAtMs)
    {
        if (entry.ExpireAtMs == expireAtMs)
        {
            return;
        }

        _frozen?.BeforeChange(entry.Key, entry);
        _undo?.BeforeChange(entry.Key, entry);
        ((Entry)entry).AssignRevision(Revision);
        Changes.Record(entry.KeySpan, entry.Value, entry.IsExpiredAt(AccessClockMs));

        // The index is ordered by the expiry itself: take the entry out before the key it sorts by changes.
        if (entry.HasExpiry)
        {
            _expiring.Remove(entry);
        }

        ((Entry)entry).AssignExpiry(expireAtMs);
        if (entry.HasExpiry)
        {
            _expiring.Add(entry);
        }
    }

    /// <summary>Removes a key found expired at apply, counting it in <see cref="ExpiredRemovals"/>.</summary>
    public void RemoveExpired(byte[] key)
    {
        if (Remove(key))
        {
            ExpiredRemovals++;
            Notify(Configuration.KeyspaceEvents.Expired, "expired", key);
        }
    }

    public bool Remove(byte[] key)
    {
        if (Find(key) is not { } entry)
        {
            return false;
        }

        _frozen?.BeforeChange(key, entry);
        _undo?.BeforeChange(key, entry);
        _entries.Remove(entry);
        _order.Remove(entry);
        _ordinalKeys?.Remove(entry.Key);
        if (entry.HasExpiry)
        {
            _expiring.Remove(entry);
        }

        Tombstones.Add(entry.Key, DeletionRevision(entry));
        Changes.Record(entry.KeySpan, entry.Value, entry.IsExpiredAt(AccessClockMs));
        return true;
    }

    /// <summary>
    /// A key deleted after it expired was logically gone already (Redis 7.0 does not fail EXEC on a stale key
    /// watched and then deleted): its tombstone keeps the key's own revision. Any other deletion is a change now.
    /// </summary>
    private long DeletionRevision(KeyEntry entry) => entry.IsExpiredAt(AccessClockMs) ? entry.Revision : Revision;

    /// <summary>Restores a key's revision from a snapshot.</summary>
    public void LoadRevision(KeyEntry entry, long revision) => ((Entry)entry).AssignRevision(revision);

    public void Clear()
    {
        if (_undo is { } undo)
        {
            foreach (var entry in _order)
            {
                undo.BeforeChange(entry.Key, entry);
            }
        }

        // Every deleted key gets a tombstone, as a DEL would give it (canonical order, so the same on every replica);
        // past the tombstones' capacity the horizon takes their place (every missing key counts as changed now).
        if (_entries.Count > Tombstones.Capacity)
        {
            Tombstones.Reset(Revision);
        }
        else
        {
            foreach (var entry in _order)
            {
                Tombstones.Add(entry.Key, DeletionRevision(entry));
            }
        }

        _entries.Clear();
        _expiring.Clear();
        _ordinalKeys = null;
        Changes.RecordClear();
        if (_frozen is { } frozen)
        {
            frozen.Detach(_order);
            _order = new KeyOrderIndex();
        }
        else
        {
            _order.Clear();
        }
    }

    /// <summary>Every entry (expired ones too) in canonical order.</summary>
    public IEnumerable<KeyEntry> InOrder() => _order;

    /// <summary>The entry at <paramref name="index"/> (less than <see cref="Count"/>) in canonical order, expired or not.</summary>
    public KeyEntry EntryAt(int index) => _order.ElementAt(index);

    /// <summary>Every entry with an expiry, earliest first (<see cref="ExpiryOrder"/>).</summary>
    public IEnumerable<KeyEntry> ByExpiry() => _expiring;

    /// <summary>
    /// Up to <paramref name="max"/> entries expired at <paramref name="nowMs"/>, earliest expiry first; the
    /// walk stops at the first live entry, so it costs O(log n + max).
    /// </summary>
    public List<KeyEntry> ExpiredAt(long nowMs, int max)
    {
        var expired = new List<KeyEntry>();
        if (max <= 0 || _expiring.Count == 0 || !_expiring.Min!.IsExpiredAt(nowMs))
        {
            return expired;
        }

        foreach (var entry in _expiring)
        {
            if (expired.Count == max || !entry.IsExpiredAt(nowMs))
            {
                break;
            }

            expired.Add(entry);
        }

        return expired;
    }

    /// <summary>Entries whose position is at least <paramref name="position"/>, in canonical order.</summary>
    public IEnumerable<KeyEntry> InOrderFrom(ulong position) => _order.From(position);

    /// <summary>The entries one SCAN call from <paramref name="cursor"/> looks at, and the cursor it answers (<see cref="PositionScan"/>).</summary>
    public List<KeyEntry> ScanFrom(ulong cursor, long count, out ulong next) => PositionScan.Take(_order, cursor, count, out next);

    /// <summary>Entries are equal when their keys are; found by key bytes without an entry to compare with.</summary>
    private sealed class EntryKeyComparer : IEqualityComparer<KeyEntry>, IAlternateEqualityComparer<ReadOnlySpan<byte>, KeyEntry>
    {
        public static readonly EntryKeyComparer Instance = new();

        public bool Equals(KeyEntry? x, KeyEntry? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.KeySpan.SequenceEqual(y.KeySpan));

        public int GetHashCode(KeyEntry obj) => ByteStringComparer.HashOf(obj.KeySpan);

        public bool Equals(ReadOnlySpan<byte> alternate, KeyEntry other) => alternate.SequenceEqual(other.KeySpan);

        public int GetHashCode(ReadOnlySpan<byte> alternate) => ByteStringComparer.HashOf(alternate);

        // Entries are made by KeyTable.Put only, never from a bare key.
        public KeyEntry Create(ReadOnlySpan<byte> alternate) => throw new NotSupportedException();
    }

    /// <summary>
    /// The only kinds of entry: private, so that only this table can assign an expiry. A key of up to 23 bytes is kept
    /// inside the entry (64 bytes in all, where an entry and an array of 16 bytes take 88): most keys are that short.
    /// </summary>
    private abstract class Entry(ulong position, StoredValue value, long expireAtMs) : KeyEntry(position, value, expireAtMs)
    {
        public static Entry Of(byte[] key, StoredValue value, long expireAtMs) =>
            key.Length <= InlineKeyEntry.Capacity
                ? new InlineKeyEntry(key, value, expireAtMs)
                : new ArrayKeyEntry(key, value, expireAtMs);

        public void AssignExpiry(long expireAtMs) => ExpireAtMs = expireAtMs;

        public void AssignValue(StoredValue value) => Value = value;

        public void AssignRevision(long revision) => Revision = revision;
    }

    private sealed class ArrayKeyEntry(byte[] key, StoredValue value, long expireAtMs)
        : Entry(PositionOf(key), value, expireAtMs)
    {
        public override byte[] Key { get; } = key;

        public override ReadOnlySpan<byte> KeySpan => Key;
    }

    /// <summary>Up to 23 bytes of key and their length in one 24-byte field.</summary>
    private sealed class InlineKeyEntry : Entry
    {
        public const int Capacity = 23;

        private InlineKey _key;

        public InlineKeyEntry(byte[] key, StoredValue value, long expireAtMs)
            : base(PositionOf(key), value, expireAtMs)
        {
            key.CopyTo(_key);
            _key[Capacity] = (byte)key.Length;
        }

        public override byte[] Key => KeySpan.ToArray();

        public override ReadOnlySpan<byte> KeySpan => ((ReadOnlySpan<byte>)_key)[.._key[Capacity]];
    }

    [InlineArray(InlineKeyEntry.Capacity + 1)]
    private struct InlineKey
    {
        private byte _element;
    }
}
