using System.Runtime.InteropServices;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Values.Streams;

/// <summary>
/// A Redis stream: entries in id order (appended only at the end, since every new id is above
/// <see cref="LastId"/>), found by binary search; the stream's counters (last id, entries added, max deleted id);
/// Redis's radix-tree nodes emulated for approximate trimming (<see cref="StreamNode"/>); and consumer groups by name.
/// Every field is state that replies depend on, so all of it is in the canonical form. The first entry id
/// (recorded-first-entry-id) is derived: it is the first live entry's, or 0-0 when empty, as Redis keeps it.
/// </summary>
internal sealed partial class StreamValue : StoredValue
{
    // Live entries from _head on; entries before _head were trimmed and are dropped at the next compaction.
    private readonly List<StreamEntry> _entries = [];
    private int _head;
    private readonly List<StreamNode> _nodes = [];
    private long _nextNode;

    public override ValueKind Kind => ValueKind.Stream;

    public override string Encoding => "stream";

    public int Count => _entries.Count - _head;

    /// <summary>The stream's last id; lowering it (XSETID) while a script's journal tracks the stream rebuilds its pre-image first.</summary>
    public StreamId LastId
    {
        get => _lastId;
        set
        {
            if (value < _lastId)
            {
                _trail?.Collapse();
            }

            _lastId = value;
        }
    }

    private StreamId _lastId;

    public long EntriesAdded { get; set; }

    public StreamId MaxDeletedId { get; set; }

    public StreamId FirstId => Count == 0 ? StreamId.Zero : _entries[_head].Id;

    /// <summary>The last live entry's id (streamLastValidID), 0-0 when empty.</summary>
    public StreamId LastEntryId => Count == 0 ? StreamId.Zero : _entries[^1].Id;

    public int NodeCount => _nodes.Count;

    /// <summary>The emulated nodes in id order; node i holds the next <see cref="StreamNode.Live"/> entries after node i-1's.</summary>
    public IReadOnlyList<StreamNode> Nodes => _nodes;

    public SortedDictionary<byte[], StreamGroup> Groups { get; } = new(ByteStringComparer.Instance);

    public StreamEntry EntryAt(int index) => _entries[_head + index];

    /// <summary>
    /// Appends an entry whose id is above <see cref="LastId"/> (the caller checks), in the tail node when it has room:
    /// fewer slots than stream-node-max-entries (replicated configuration; 0 puts no limit on entries), as Redis's
    /// streamAppendItem decides. Nodes already built keep their size when the parameter changes.
    /// </summary>
    public void Append(StreamId id, byte[][] fieldsAndValues)
    {
        var tail = _nodes.Count == 0 ? null : _nodes[^1];
        var nodeMaxEntries = Configuration.EncodingLimits.Current.StreamNodeMaxEntries;
        if (tail is null || (nodeMaxEntries > 0 && tail.Slots >= nodeMaxEntries))
        {
            tail = new StreamNode(_nextNode++, 0, 0, id);
            _nodes.Add(tail);
        }

        tail.Slots++;
        tail.Live++;
        tail.LastId = id;
        _entries.Add(new StreamEntry(id, fieldsAndValues, tail.Number));
        LastId = id;
        EntriesAdded++;
    }

    /// <summary>The index (from 0 = first live entry) of the first entry with an id at or above <paramref name="id"/>.</summary>
    public int LowerBound(StreamId id)
    {
        int low = _head, high = _entries.Count;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (_entries[middle].Id < id)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low - _head;
    }

    public StreamEntry? Find(StreamId id)
    {
        var index = LowerBound(id);
        return index < Count && EntryAt(index).Id == id ? EntryAt(index) : null;
    }

    /// <summary>Entries with ids in [start, end], forward or backward, at most <paramref name="count"/> (0 = all).</summary>
    public List<StreamEntry> Range(StreamId start, StreamId end, long count, bool reverse)
    {
        var result = new List<StreamEntry>();
        if (start > end)
        {
            return result;
        }

        var first = LowerBound(start);
        var last = end == StreamId.Max ? Count : LowerBound(end);
        if (last < Count && EntryAt(last).Id == end)
        {
            last++;
        }

        if (reverse)
        {
            for (var i = last - 1; i >= first && (count == 0 || result.Count < count); i--)
            {
                result.Add(EntryAt(i));
            }
        }
        else
        {
            for (var i = first; i < last && (count == 0 || result.Count < count); i++)
            {
                result.Add(EntryAt(i));
            }
        }

        return result;
    }

    /// <summary>Deletes the entry with <paramref name="id"/>; false when there is none. Does not touch the counters.</summary>
    public bool Delete(StreamId id)
    {
        var index = LowerBound(id);
        if (index >= Count || EntryAt(index).Id != id)
        {
            return false;
        }

        var entry = EntryAt(index);
        if (index < Count / 2)
        {
            // Nearer the front: the entries before it move up one and the head follows, so deleting the oldest entry (a
            // queue's XACK and XDEL) costs O(1), not a move of every later entry (8 MB per XDEL in a 1M-entry stream).
            var entries = CollectionsMarshal.AsSpan(_entries);
            entries.Slice(_head, index).CopyTo(entries.Slice(_head + 1, index));
            entries[_head] = null!;
            _head++;
            Compact();
        }
        else
        {
            _entries.RemoveAt(_head + index);
        }

        _trail?.Record([entry]);
        var nodeIndex = NodeIndex(entry.Node);
        var node = _nodes[nodeIndex];
        node.Live--;
        if (node.Live == 0)
        {
            _nodes.RemoveAt(nodeIndex);
        }

        return true;
    }

    /// <summary>
    /// Trims to at most <paramref name="maxLength"/> entries (or, with <paramref name="minId"/>, below that id), as
    /// streamTrim: whole nodes first; then, unless <paramref name="approximate"/>, single entries of the next node.
    /// <paramref name="limit"/> (0 = none) caps the entries removed, by whole nodes. Returns the entries removed.
    /// </summary>
    public long Trim(long maxLength, StreamId? minId, bool approximate, long limit)
    {
        long deleted = 0;
        while (_nodes.Count > 0)
        {
            if (minId is null && Count <= maxLength)
            {
                break;
            }

            var node = _nodes[0];
            if (limit > 0 && deleted + node.Live > limit)
            {
                break;
            }

            var removeNode = minId is { } bound ? node.LastId < bound : Count - node.Live >= maxLength;
            if (removeNode)
            {
                _head += node.Live;
                _trail?.Record(CollectionsMarshal.AsSpan(_entries)[(_head - node.Live).._head]);
                deleted += node.Live;
                _nodes.RemoveAt(0);
                continue;
            }

            if (approximate)
            {
                break;
            }

            while (Count > 0 && EntryAt(0).Node == node.Number
                   && (minId is { } min ? EntryAt(0).Id < min : Count > maxLength))
            {
                _head++;
                _trail?.Record([_entries[_head - 1]]);
                node.Live--;
                deleted++;
            }

            // Redis keeps a node whose live entries were all trimmed behind a deleted one; nothing can tell.
            if (node.Live == 0)
            {
                _nodes.RemoveAt(0);
            }

            break;
        }

        Compact();
        return deleted;
    }

    public StreamGroup? FindGroup(byte[] name) => Groups.GetValueOrDefault(name);

    public override StoredValue Clone()
    {
        var copy = new StreamValue
        {
            LastId = LastId,
            EntriesAdded = EntriesAdded,
            MaxDeletedId = MaxDeletedId,
            _nextNode = _nextNode,
        };
        copy._entries.AddRange(_entries.Skip(_head));
        copy._nodes.AddRange(_nodes.Select(static node => node.Copy()));
        foreach (var group in Groups.Values)
        {
            copy.Groups.Add(group.Name, group.Copy());
        }

        return copy;
    }

    /// <summary>
    /// entries (i32 count, then id, i32 pair count, strings), last id, entries added, max deleted id, nodes (i32 count,
    /// then slots, live, last id), groups by name (name, last id, entries read, consumers by name with seen time,
    /// pending entries by id with consumer name, delivery time and count). Ids are ms:u64 seq:u64.
    /// </summary>
    public override void WriteCanonical(CanonicalWriter writer)
    {
        writer.WriteInt32(Count);
        for (var i = _head; i < _entries.Count; i++)
        {
            var entry = _entries[i];
            WriteId(writer, entry.Id);
            writer.WriteInt32(entry.FieldsAndValues.Length / 2);
            foreach (var item in entry.FieldsAndValues)
            {
                writer.WriteString(item);
            }
        }

        WriteId(writer, LastId);
        writer.WriteInt64(EntriesAdded);
        WriteId(writer, MaxDeletedId);
        writer.WriteInt32(_nodes.Count);
        foreach (var node in _nodes)
        {
            writer.WriteInt32(node.Slots);
            writer.WriteInt32(node.Live);
            WriteId(writer, node.LastId);
        }

        writer.WriteInt32(Groups.Count);
        foreach (var group in Groups.Values)
        {
            writer.WriteString(group.Name);
            WriteId(writer, group.LastId);
            writer.WriteInt64(group.EntriesRead);
            writer.WriteInt32(group.Consumers.Count);
            foreach (var consumer in group.Consumers.Values)
            {
                writer.WriteString(consumer.Name);
                writer.WriteInt64(consumer.SeenTime);
            }

            writer.WriteInt32(group.Pending.Count);
            foreach (var pending in group.Pending)
            {
                WriteId(writer, pending.Id);
                writer.WriteString(pending.Consumer.Name);
                writer.WriteInt64(pending.DeliveryTime);
                writer.WriteInt64(pending.DeliveryCount);
            }
        }
    }

    /// <summary>For a snapshot load: appends a node of <paramref name="live"/> entries already added with <see cref="LoadEntry"/>.</summary>
    public void LoadNode(int slots, int live, StreamId lastId) => _nodes.Add(new StreamNode(_nextNode++, slots, live, lastId));

    /// <summary>For a snapshot load: the node number the next loaded entries belong to.</summary>
    public long LoadingNode => _nextNode;

    /// <summary>For a snapshot load: adds an entry in id order without touching the counters.</summary>
    public void LoadEntry(StreamEntry entry) => _entries.Add(entry);

    private static void WriteId(CanonicalWriter writer, StreamId id)
    {
        writer.WriteInt64((long)id.Ms);
        writer.WriteInt64((long)id.Seq);
    }

    private int NodeIndex(long number)
    {
        int low = 0, high = _nodes.Count - 1;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (_nodes[middle].Number < number)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    // Trimmed entries are dropped from the list once they are half of it, so trimming costs O(1) amortized per entry.
    private void Compact()
    {
        if (_head > 0 && _head >= _entries.Count / 2)
        {
            _entries.RemoveRange(0, _head);
            _head = 0;
        }
    }
}
