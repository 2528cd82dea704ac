namespace RaftKV.Node.Log;

/// <summary>
/// The latest appends of a <see cref="SegmentedLog"/>, kept in memory as they were written (record headers and payloads),
/// up to a byte budget. The leader reads every entry right after appending it, once per follower to replicate it and once
/// to apply it, and a follower once to apply it: from here those reads need no disk read, no checksum (the bytes are the
/// ones written, never re-read from the disk) and no buffer of their own.
/// <para>
/// What it holds is always the log's tail: the records from <see cref="FirstIndex"/> to the log's last index, or nothing.
/// The log calls it under its state lock: changes under the write lock, reads under the read lock. The appended buffers
/// are never written again, so records read from them stay valid after the lock is released, as read ones do.
/// </para>
/// </summary>
internal sealed class RecentRecords(long budgetBytes)
{
    // The chunks held are _chunks[_head..]: dropping the oldest moves _head, and the list sheds the dropped ones once
    // they are half of it, so an append costs no shift of every chunk held (with 2 MiB of appends of a few KiB, a
    // shift of about a thousand chunks per append was 0.7% of a follower's CPU samples at SET -c 50).
    private readonly List<Chunk> _chunks = [];
    private int _head;
    private long _bytes;

    /// <summary>One append: its first index, its bytes, and each record's offset in them.</summary>
    private readonly record struct Chunk(long FirstIndex, ReadOnlyMemory<byte> Bytes, IReadOnlyList<long> Offsets)
    {
        public long LastIndex => FirstIndex + Offsets.Count - 1;
    }

    /// <summary>The first index held; long.MaxValue when none is.</summary>
    public long FirstIndex => Holds ? _chunks[_head].FirstIndex : long.MaxValue;

    private bool Holds => _head < _chunks.Count;

    /// <summary>Takes the records of an append that the log has just published; it follows the ones held, or replaces them.</summary>
    public void Appended(long firstIndex, ReadOnlyMemory<byte> bytes, IReadOnlyList<long> offsets)
    {
        if (offsets.Count == 0)
            return;
        if (bytes.Length > budgetBytes)
        {
            Clear();
            return;
        }

        if (Holds && _chunks[^1].LastIndex + 1 != firstIndex)
            Clear();
        _chunks.Add(new Chunk(firstIndex, bytes, offsets));
        _bytes += bytes.Length;
        while (_bytes > budgetBytes)
            DropOldest();
        Shed();
    }

    /// <summary>The log's tail changed other than by an append (truncated, reset): nothing held is known to be in it.</summary>
    public void Clear()
    {
        _chunks.Clear();
        _head = 0;
        _bytes = 0;
    }

    /// <summary>Records below <paramref name="index"/> are no longer read (a prefix dropped): their memory goes.</summary>
    public void DropBefore(long index)
    {
        while (Holds && _chunks[_head].LastIndex < index)
            DropOldest();
        Shed();
    }

    private void DropOldest()
    {
        _bytes -= _chunks[_head].Bytes.Length;
        _chunks[_head++] = default; // its bytes go now, not when the list sheds it
    }

    // Removes the dropped chunks from the list once they are at least half of it (all of it, when none is held; their
    // memory went when they were dropped).
    private void Shed()
    {
        if (_head > 0 && _head >= _chunks.Count - _head)
        {
            _chunks.RemoveRange(0, _head);
            _head = 0;
        }
    }

    /// <summary>
    /// Adds the records from <paramref name="first"/> (held: at or after <see cref="FirstIndex"/>) to <paramref name="last"/>
    /// to <paramref name="records"/>, while they fit in <paramref name="maxPayloadBytes"/> (counting from
    /// <paramref name="payloadBytes"/>, the payload already read; at least one record when none was) and
    /// <paramref name="maxCount"/> records in all. Returns the index after the last one added.
    /// </summary>
    public long Read(long first, long last, List<LogRecord> records, ref long payloadBytes, long maxPayloadBytes, int maxCount)
    {
        var chunk = Find(first);
        var next = first;
        for (; chunk < _chunks.Count && next <= last; chunk++)
        {
            var (firstIndex, bytes, offsets) = _chunks[chunk];
            for (; next <= last && next - firstIndex < offsets.Count; next++)
            {
                if (records.Count >= maxCount)
                    return next;
                var offset = (int)offsets[(int)(next - firstIndex)];
                if (!LogRecordFormat.TryReadRecordHeader(bytes.Span[offset..], out var header) || header.Index != next)
                    throw new InvalidOperationException($"The record of index {next} in memory is not the one appended");
                if (payloadBytes + header.Length > maxPayloadBytes && records.Count > 0)
                    return next;
                payloadBytes += header.Length;
                records.Add(new LogRecord(next, header.Term, header.IsConfiguration, header.CommandId,
                    bytes.Slice(offset + LogRecordFormat.RecordHeaderSize, header.Length)));
            }
        }

        return next;
    }

    // The chunk holding `index`, which the caller knows to be held.
    private int Find(long index) => IndexSearch.Holding(_chunks, index, static chunk => chunk.FirstIndex, from: _head);
}
