using System.Runtime.CompilerServices;

namespace RaftKV.Node.PubSub;

/// <summary>
/// The index from each key with a change in the history to its latest change: an open-addressing table (linear probing)
/// of record positions and the keys' hashes, the keys themselves compared in the records. One array, no object per
/// key; a key's entry goes when its latest change is trimmed, and the table shrinks as the history does.
/// </summary>
internal sealed partial class WatchHistory
{
    private const int MinIndexCapacity = 64;

    // A slot holds a position and its key's hash side by side: a probe costs one cache miss, not one in each of two
    // arrays (every change probes once to find the key's latest change, every trim once to drop it).
    private struct Slot
    {
        // Position + 1 of a key's latest change (0: empty).
        public long Position;
        public int Hash;
    }

    private Slot[] _slots = new Slot[MinIndexCapacity];
    private int _keys;

    private long IndexBytes => ArrayOverhead + (long)_slots.Length * Unsafe.SizeOf<Slot>();

    /// <summary>The slot of <paramref name="key"/>'s latest change and its position, or -1 when it has none.</summary>
    public int FindLatest(ReadOnlySpan<byte> key, int hash, out long position)
    {
        var mask = _slots.Length - 1;
        for (var i = hash & mask; _slots[i].Position != 0; i = (i + 1) & mask)
        {
            if (_slots[i].Hash == hash && KeyEquals(ReadHeader(_slots[i].Position - 1), key))
            {
                position = _slots[i].Position - 1;
                return i;
            }
        }

        position = -1;
        return -1;
    }

    private void Insert(int hash, long position)
    {
        // At most three quarters full: linear probing stays short.
        if ((_keys + 1) * 4L > _slots.Length * 3L)
            Resize(_slots.Length * 2);
        Place(hash, position);
        _keys++;
    }

    private void Place(int hash, long position)
    {
        var mask = _slots.Length - 1;
        var i = hash & mask;
        while (_slots[i].Position != 0)
            i = (i + 1) & mask;
        _slots[i] = new Slot { Position = position + 1, Hash = hash };
    }

    // The entry of the record at position, when it is still its key's latest change.
    private void Remove(int hash, long position)
    {
        var mask = _slots.Length - 1;
        var i = hash & mask;
        for (; _slots[i].Position != position + 1; i = (i + 1) & mask)
        {
            if (_slots[i].Position == 0)
                return;
        }

        // Backward shift: each later entry of the probe run that may live in the freed slot moves into it, so a lookup
        // never stops at a hole before its key.
        for (var j = (i + 1) & mask; _slots[j].Position != 0; j = (j + 1) & mask)
        {
            var home = _slots[j].Hash & mask;
            var staysAfterHole = i <= j ? i < home && home <= j : i < home || home <= j;
            if (staysAfterHole)
                continue;
            _slots[i] = _slots[j];
            i = j;
        }

        _slots[i] = default;
        _keys--;
        if (_slots.Length > MinIndexCapacity && _keys * 8L < _slots.Length)
            Resize(_slots.Length / 2);
    }

    private void ClearIndex()
    {
        if (_slots.Length > MinIndexCapacity)
        {
            _slots = new Slot[MinIndexCapacity];
        }
        else
        {
            Array.Clear(_slots);
        }

        _keys = 0;
    }

    private void Resize(int capacity)
    {
        var slots = _slots;
        _slots = new Slot[capacity];
        foreach (var slot in slots)
        {
            if (slot.Position != 0)
                Place(slot.Hash, slot.Position - 1);
        }
    }
}
