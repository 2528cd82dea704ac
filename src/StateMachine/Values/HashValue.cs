using System.Buffers;
using RaftKV.StateMachine.Ordering;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Values;

/// <summary>
/// A Redis hash, in Redis 7.0's two representations: <c>listpack</c> (field, value, field, value... in one
/// <see cref="Listpack"/> array, insertion order, while there are at most hash-max-listpack-entries
/// fields and the commands that check it saw no string longer than hash-max-listpack-value, both from the
/// replicated configuration (<see cref="EncodingLimits.Current"/>)) and
/// <c>hashtable</c>. A listpack turns into a hashtable, never back. Canonical order (snapshots, digests,
/// random choices, scans) is ordinal field order.
/// </summary>
internal sealed class HashValue : StoredValue
{
    /// <summary>Listpacks up to this many fields sort their offsets on the stack, by insertion sort.</summary>
    private const int SmallPack = 128;

    // A cached delegate: sorting with an IComparer allocates a delegate on every call.
    private static readonly Comparison<KeyValuePair<byte[], byte[]>> ByField =
        static (x, y) => ByteStringComparer.Instance.Compare(x.Key, y.Key);

    private byte[] _pack = Listpack.Empty;
    private int _packCount;
    private Dictionary<byte[], byte[]>? _table;

    // The scan order of a hashtable hash (HSCAN), built on first use and kept in step afterwards.
    private ElementScanIndex? _scanIndex;

    // A hashtable hash's fields in ordinal order, built on first use and kept in step with adds and removes (OrdinalIndex):
    // HGETALL, HKEYS, HVALS and HRANDFIELD sorted every field on every call (HRANDFIELD on a 1M-field hash: a sort of 1M
    // pairs per call, under the read lock).
    private OrdinalIndex? _sortedFields;

    // While a script's journal tracks this hashtable hash (TrackChanges): each changed field and its value before (null:
    // absent), newest last.
    private UndoSteps<HashValue, KeyValuePair<byte[], byte[]?>>? _trail;

    public override ValueKind Kind => ValueKind.Hash;

    public override string Encoding => _table is null ? "listpack" : "hashtable";

    public int Count => _table?.Count ?? _packCount;

    public bool TryGet(byte[] field, out byte[] value)
    {
        if (_table is not null)
        {
            return _table.TryGetValue(field, out value!);
        }

        var offset = FindPacked(field, out var valueOffset);
        value = offset < 0 ? [] : Listpack.Read(_pack, valueOffset, out _).ToArray();
        return offset >= 0;
    }

    /// <summary>Converts to a hashtable when one of <paramref name="strings"/> is too long for a listpack (hashTypeTryConversion).</summary>
    public void ConvertIfAnyLong(ReadOnlySpan<byte[]> strings)
    {
        if (_table is not null)
        {
            return;
        }

        foreach (var s in strings)
        {
            if (s.Length > EncodingLimits.Current.HashMaxListpackValue)
            {
                ConvertToHashtable();
                return;
            }
        }
    }

    /// <summary>
    /// Sets <paramref name="field"/>; true when it is new. A listpack that grows too large, or meets a field
    /// or value too long for it, becomes a hashtable (hashTypeSet).
    /// </summary>
    public bool Set(byte[] field, byte[] value)
    {
        ConvertIfAnyLong([field, value]);
        if (_table is not null)
        {
            var added = _table.TryAdd(field, value);
            if (added)
            {
                _scanIndex?.Add(field);
                _sortedFields?.Add(field);
                _trail?.Record(new(field, null));
            }
            else
            {
                _trail?.Record(new(field, _table[field]));
                _table[field] = value;
            }

            return added;
        }

        var offset = FindPacked(field, out var valueOffset);
        if (offset >= 0)
        {
            _pack = Listpack.Replace(_pack, valueOffset, value);
            return false;
        }

        _pack = Listpack.Insert(_pack, _pack.Length, field, value);
        _packCount++;
        if (_packCount > EncodingLimits.Current.HashMaxListpackEntries)
        {
            ConvertToHashtable();
        }

        return true;
    }

    public bool Remove(byte[] field)
    {
        if (_table is not null)
        {
            if (!_table.Remove(field, out var removed))
            {
                return false;
            }

            _scanIndex?.Remove(field);
            _sortedFields?.Remove(field);
            _trail?.Record(new(field, removed));
            return true;
        }

        var offset = FindPacked(field, out var valueOffset);
        if (offset < 0)
        {
            return false;
        }

        _pack = Listpack.Remove(_pack, offset, Listpack.Skip(_pack, valueOffset));
        _packCount--;
        return true;
    }

    /// <summary>
    /// Field-value pairs in reply order: insertion order for a listpack (as Redis), ordinal field order for a
    /// hashtable (Redis's order is unspecified; ours must not depend on hash-container order).
    /// </summary>
    public List<KeyValuePair<byte[], byte[]>> Pairs()
    {
        var pairs = new List<KeyValuePair<byte[], byte[]>>(Count);
        if (_table is not null)
        {
            foreach (var field in SortedFields())
            {
                pairs.Add(new(field, _table[field]));
            }

            return pairs;
        }

        for (var offset = 0; offset < _pack.Length;)
        {
            var field = Listpack.Read(_pack, offset, out var valueOffset).ToArray();
            var value = Listpack.Read(_pack, valueOffset, out offset).ToArray();
            pairs.Add(new(field, value));
        }

        return pairs;
    }

    /// <summary>A hashtable hash's fields in ordinal order (<see cref="OrdinalIndex"/>).</summary>
    private IReadOnlyList<byte[]> SortedFields() => OrdinalIndex.Of(ref _sortedFields, _table!.Keys).Members;

    /// <summary>The fields in ordinal order, the canonical order random choices are made in (a hashtable's kept).</summary>
    public IReadOnlyList<byte[]> OrdinalFields() =>
        _table is not null ? SortedFields() : CanonicalPairs().Select(static pair => pair.Key).ToArray();

    /// <summary>The scan order of a hashtable hash (<see cref="ElementScanIndex.Of"/>).</summary>
    public ElementScanIndex ScanIndex() => ElementScanIndex.Of(ref _scanIndex, _table!.Keys);

    /// <summary>Field-value pairs in canonical (ordinal field) order.</summary>
    public List<KeyValuePair<byte[], byte[]>> CanonicalPairs()
    {
        var pairs = Pairs();
        if (_table is null)
        {
            pairs.Sort(static (a, b) => ByteStringComparer.Instance.Compare(a.Key, b.Key));
        }

        return pairs;
    }

    public override StoredValue Clone()
    {
        var copy = new HashValue { _pack = _pack, _packCount = _packCount };
        if (_table is not null)
        {
            copy._table = new Dictionary<byte[], byte[]>(_table, ByteStringComparer.Instance);
        }

        return copy;
    }

    /// <summary>
    /// A hashtable hash records each field's value before its change; a listpack is copied instead (the copy shares the
    /// pack, which no change writes into: O(1)).
    /// </summary>
    public override UndoTrail? TrackChanges() =>
        _table is not null && _trail is null
            ? _trail = new UndoSteps<HashValue, KeyValuePair<byte[], byte[]?>>(this, UndoStep, static hash => hash.Count, static hash => hash._trail = null)
            : null;

    private static void UndoStep(HashValue hash, KeyValuePair<byte[], byte[]?> before)
    {
        if (before.Value is null)
        {
            hash.Remove(before.Key);
        }
        else
        {
            hash.Set(before.Key, before.Value);
        }
    }

    // The count, then each field and value as a length and its bytes: no sort needed to know how many bytes.
    public override long CanonicalLength()
    {
        if (_table is null)
        {
            return base.CanonicalLength();
        }

        long length = sizeof(int);
        foreach (var (field, value) in _table)
        {
            length += sizeof(int) + field.Length + sizeof(int) + value.Length;
        }

        return length;
    }

    /// <summary>The representation (0 listpack, 1 hashtable), then the pairs: a listpack's in its order, a hashtable's canonical.</summary>
    public override void WriteSnapshot(CanonicalWriter writer)
    {
        if (_table is not null)
        {
            writer.WriteByte(1);
            WriteCanonical(writer);
            return;
        }

        writer.WriteByte(0);
        writer.WriteInt32(_packCount);
        for (var offset = 0; offset < _pack.Length;)
        {
            writer.WriteString(Listpack.Read(_pack, offset, out var valueOffset));
            writer.WriteString(Listpack.Read(_pack, valueOffset, out offset));
        }
    }

    /// <summary>
    /// A hash read from a snapshot (fields and values alternating), in the representation and, for a listpack, the order it
    /// was written in, whatever the limits are now; null when a field repeats.
    /// </summary>
    public static HashValue? Load(bool listpack, byte[][] fieldsAndValues)
    {
        var hash = new HashValue();
        var count = fieldsAndValues.Length / 2;
        var table = new Dictionary<byte[], byte[]>(count, ByteStringComparer.Instance);
        for (var i = 0; i < count; i++)
        {
            if (!table.TryAdd(fieldsAndValues[2 * i], fieldsAndValues[(2 * i) + 1]))
            {
                return null;
            }
        }

        if (!listpack)
        {
            hash._table = table;
        }
        else if (count > 0)
        {
            hash._pack = Listpack.Insert(Listpack.Empty, 0, fieldsAndValues);
            hash._packCount = count;
        }

        return hash;
    }

    // Snapshots and digests write every hash: this allocates nothing per hash (CanonicalPairs copies every string).
    public override void WriteCanonical(CanonicalWriter writer)
    {
        writer.WriteInt32(Count);
        if (_table is not null)
        {
            WriteTableCanonical(writer, _table);
            return;
        }

        // A listpack of the default size or less: its offsets fit on the stack.
        Span<int> fields = _packCount <= SmallPack ? stackalloc int[_packCount] : new int[_packCount];
        var count = 0;
        for (var offset = 0; offset < _pack.Length;)
        {
            fields[count++] = offset;
            Listpack.Read(_pack, offset, out var valueOffset);
            offset = Listpack.Skip(_pack, valueOffset);
        }

        SortByField(fields);
        foreach (var offset in fields)
        {
            writer.WriteString(Listpack.Read(_pack, offset, out var valueOffset));
            writer.WriteString(Listpack.Read(_pack, valueOffset, out _));
        }
    }

    private static void WriteTableCanonical(CanonicalWriter writer, Dictionary<byte[], byte[]> table)
    {
        var pairs = ArrayPool<KeyValuePair<byte[], byte[]>>.Shared.Rent(table.Count);
        try
        {
            var count = 0;
            foreach (var pair in table)
            {
                pairs[count++] = pair;
            }

            pairs.AsSpan(0, count).Sort(ByField);
            for (var i = 0; i < count; i++)
            {
                writer.WriteString(pairs[i].Key);
                writer.WriteString(pairs[i].Value);
            }
        }
        finally
        {
            ArrayPool<KeyValuePair<byte[], byte[]>>.Shared.Return(pairs, clearArray: true);
        }
    }

    // Field offsets by field bytes, ordinal: insertion sort needs no comparer object for a small listpack; a listpack
    // the configuration lets grow larger sorts in O(n log n).
    private void SortByField(Span<int> fields)
    {
        if (fields.Length > SmallPack)
        {
            var pack = _pack;
            fields.Sort((x, y) => Listpack.Read(pack, x, out _).SequenceCompareTo(Listpack.Read(pack, y, out _)));
            return;
        }

        for (var i = 1; i < fields.Length; i++)
        {
            var moving = fields[i];
            var field = Listpack.Read(_pack, moving, out _);
            var j = i - 1;
            while (j >= 0 && Listpack.Read(_pack, fields[j], out _).SequenceCompareTo(field) > 0)
            {
                fields[j + 1] = fields[j];
                j--;
            }

            fields[j + 1] = moving;
        }
    }

    /// <summary>The byte offset of <paramref name="field"/>'s entry in the listpack, or -1; and of its value.</summary>
    private int FindPacked(byte[] field, out int valueOffset)
    {
        for (var offset = 0; offset < _pack.Length;)
        {
            var candidate = Listpack.Read(_pack, offset, out valueOffset);
            if (candidate.SequenceEqual(field))
            {
                return offset;
            }

            offset = Listpack.Skip(_pack, valueOffset);
        }

        valueOffset = -1;
        return -1;
    }

    private void ConvertToHashtable()
    {
        var table = new Dictionary<byte[], byte[]>(_packCount, ByteStringComparer.Instance);
        foreach (var (field, value) in Pairs())
        {
            table[field] = value;
        }

        _table = table;
        _pack = Listpack.Empty;
        _packCount = 0;
    }
}
