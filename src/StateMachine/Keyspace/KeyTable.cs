using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Keyspace;

/// <summary>
/// The keyspace: a dictionary for lookups plus a sorted index in canonical order for KEYS, SCAN and
/// snapshots. Knows nothing of time: callers decide what an expired entry means (reads hide it, writes
/// delete it first).
/// </summary>
internal sealed class KeyTable
{
    private readonly Dictionary<byte[], KeyEntry> _entries = new(ByteStringComparer.Instance);
    private readonly SortedSet<KeyEntry> _order = new(KeyOrder.Instance);

    public int Count => _entries.Count;

    /// <summary>The entry for <paramref name="key"/>, expired or not.</summary>
    public KeyEntry? Find(byte[] key) => _entries.GetValueOrDefault(key);

    /// <summary>The entry for <paramref name="key"/> unless it is missing or expired at <paramref name="nowMs"/>.</summary>
    public KeyEntry? FindLive(byte[] key, long nowMs)
    {
        var entry = Find(key);
        return entry is null || entry.IsExpiredAt(nowMs) ? null : entry;
    }

    /// <summary>For writes: deletes the key if it is expired at <paramref name="nowMs"/>, then returns what is left.</summary>
    public KeyEntry? FindForWrite(byte[] key, long nowMs)
    {
        var entry = Find(key);
        if (entry is not null && entry.IsExpiredAt(nowMs))
        {
            Remove(key);
            return null;
        }

        return entry;
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any value and expiry.</summary>
    public KeyEntry Put(byte[] key, StoredValue value, long expireAtMs)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            entry.Value = value;
            entry.ExpireAtMs = expireAtMs;
            return entry;
        }

        entry = new KeyEntry(key, value, expireAtMs);
        _entries.Add(key, entry);
        _order.Add(entry);
        return entry;
    }

    public bool Remove(byte[] key)
    {
        if (!_entries.Remove(key, out var entry))
        {
            return false;
        }

        _order.Remove(entry);
        return true;
    }

    public void Clear()
    {
        _entries.Clear();
        _order.Clear();
    }

    /// <summary>Every entry (expired ones too) in canonical order.</summary>
    public IEnumerable<KeyEntry> InOrder() => _order;

    /// <summary>Entries whose position is at least <paramref name="position"/>, in canonical order.</summary>
    public IEnumerable<KeyEntry> InOrderFrom(ulong position)
    {
        if (_order.Count == 0 || _order.Max!.Position < position)
        {
            return [];
        }

        if (position == 0)
        {
            return _order;
        }

        // The smallest possible entry at a position: the empty key sorts first among equal positions.
        var probe = KeyEntry.CreateProbe(position);
        return _order.GetViewBetween(probe, _order.Max);
    }
}
