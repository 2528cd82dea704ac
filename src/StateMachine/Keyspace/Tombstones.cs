using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Keyspace;

/// <summary>
/// The revisions at which recently deleted keys were deleted, so that WATCH on a missing key sees "someone created
/// and deleted it meanwhile". Bounded: at most <see cref="Capacity"/> keys, the oldest deletion dropped first; every
/// dropped revision raises <see cref="Horizon"/>, the revision a missing key without a tombstone is taken to have.
/// A watched missing key therefore conflicts when a tombstone was dropped since the WATCH (conservative: a false
/// conflict, never a missed one). Replicated state: a tombstone is added or forgotten only at apply, eviction depends
/// only on the live tombstones (a re-deleted or re-created key leaves the order at once), and a snapshot keeps the
/// horizon and the tombstones oldest first, so a replica that loaded one evicts exactly as one that replayed the log.
/// </summary>
internal sealed class Tombstones
{
    /// <summary>Tombstones kept at most: about 100 bytes each with a short key, so well under a megabyte.</summary>
    public const int Capacity = 4096;

    private readonly Dictionary<byte[], LinkedListNode<(byte[] Key, long Revision)>> _byKey = new(ByteStringComparer.Instance);
    private readonly LinkedList<(byte[] Key, long Revision)> _oldestFirst = new();

    /// <summary>The largest revision of a tombstone dropped (or of a flush too large to record key by key); 0 at first.</summary>
    public long Horizon { get; private set; }

    public int Count => _byKey.Count;

    /// <summary>The revision <paramref name="key"/>, which is not stored, is taken to have: its deletion's, or the horizon.</summary>
    public long RevisionOfMissing(byte[] key) => _byKey.TryGetValue(key, out var node) ? node.Value.Revision : Horizon;

    /// <summary>Records that <paramref name="key"/> was deleted at <paramref name="revision"/> (the newest tombstone).</summary>
    public void Add(byte[] key, long revision)
    {
        Forget(key);
        _byKey[key] = _oldestFirst.AddLast((key, revision));
        while (_byKey.Count > Capacity)
        {
            var oldest = _oldestFirst.First!;
            _oldestFirst.RemoveFirst();
            _byKey.Remove(oldest.Value.Key);
            Horizon = Math.Max(Horizon, oldest.Value.Revision);
        }
    }

    /// <summary>Drops <paramref name="key"/>'s tombstone (the key exists again and carries its own revision).</summary>
    public void Forget(byte[] key)
    {
        if (_byKey.Count != 0 && _byKey.Remove(key, out var node))
        {
            _oldestFirst.Remove(node);
        }
    }

    /// <summary>Drops every tombstone and raises the horizon to <paramref name="revision"/> (a flush of too many keys to record).</summary>
    public void Reset(long revision)
    {
        _byKey.Clear();
        _oldestFirst.Clear();
        Horizon = Math.Max(Horizon, revision);
    }

    /// <summary>The tombstones, oldest first (the snapshot order, which <see cref="Load"/> restores).</summary>
    public IEnumerable<(byte[] Key, long Revision)> OldestFirst() => _oldestFirst;

    /// <summary>Restores a snapshot's horizon; the tombstones follow through <see cref="Add"/>, oldest first.</summary>
    public void LoadHorizon(long horizon) => Horizon = horizon;
}
