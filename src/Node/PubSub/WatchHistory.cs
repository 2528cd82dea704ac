using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace RaftKV.Node.PubSub;

/// <summary>
/// <see cref="WatchHub"/>'s changes, oldest first, encoded back to back in a ring of fixed-size byte chunks, with an
/// index from each key to its latest change (for prev_kv). The heap it holds is a few arrays whose sizes it knows, so
/// <see cref="HeldBytes"/> is exact by construction, and recording a change allocates nothing that lives on: a chunk
/// freed by trimming is reused for the next one. (A record, a list node and a key string per change held about 260 bytes
/// of heap for a small SET, three times what the limit counted, and each went to gen2.) Changes become objects only when
/// a watcher reads them. Not thread-safe: WatchHub calls it under its lock.
/// </summary>
/// <remarks>
/// A record: revision (8 bytes), flags (1), the key's hash (4), the key's length, then the value's and the previous
/// value's lengths when present (LEB128), then the key, value and previous value. A record may cross chunk boundaries.
/// Positions are offsets in the stream of everything ever appended (they only grow), so a chunk's number is its
/// position divided by the chunk size. A value or previous value of <see cref="HeldFrom"/> bytes or more is an 8-byte
/// handle to the value's memory instead (HeldValueFlag, HeldPreviousFlag; WatchHistory.Held.cs), its length in the header
/// being the handle's.
/// </remarks>
internal sealed partial class WatchHistory
{
    private const int ChunkShift = 14;
    private const int ChunkSize = 1 << ChunkShift;
    // What a .NET array costs beyond its elements on 64-bit: header word, method table, length (padded to 8).
    private const int ArrayOverhead = 24;
    private const int MaxHeader = 8 + 1 + 4 + 3 * 5;
    private const int ReadBytes = 4 << 20;

    private const byte ExistsFlag = 1;
    private const byte DeletedFlag = 2;
    private const byte ValueFlag = 4;
    private const byte PreviousFlag = 8;
    private const byte FlushedFlag = 16;
    private const byte HeldValueFlag = 32;
    private const byte HeldPreviousFlag = 64;

    /// <summary>A chunk, and the first record starting in it (-1: none yet, or a long record crosses it whole).</summary>
    private struct Chunk
    {
        public byte[] Bytes;
        public long FirstRecord;
        // The revision of that record, or of the record that crosses the chunk: never decreasing along the ring.
        public long FirstRevision;
    }

    private readonly record struct Record(long Position, long Revision, byte Flags, int Hash, int KeyLength, int ValueLength, int PreviousLength, int HeaderLength)
    {
        public long Key => Position + HeaderLength;
        public long Value => Key + KeyLength;
        public long Previous => Value + ValueLength;
        public long End => Previous + PreviousLength;
    }

    private Chunk[] _chunks = new Chunk[16];
    private int _first;
    private int _count;
    private long _firstChunkNumber;
    // The chunk last freed, kept for the next one: the budget counts it whether or not it is here.
    private byte[]? _spare;
    private long _tail;
    private long _head;

    /// <summary>The position where the next record will go.</summary>
    public long Head => _head;

    public bool IsEmpty => _head == _tail;

    /// <summary>The revision of the newest record (meaningless when empty).</summary>
    public long LastRevision { get; private set; }

    /// <summary>
    /// The heap this history holds, in bytes: its chunks with one more for the next chunk to be opened (the spare, or a
    /// new one), the chunk table, the index, and the values held by reference with their queue.
    /// </summary>
    public long HeldBytes =>
        (_count + 1L) * (ChunkSize + ArrayOverhead)
        + ArrayOverhead + (long)_chunks.Length * Unsafe.SizeOf<Chunk>()
        + IndexBytes + HeldValueBytes;

    public static int Hash(ReadOnlySpan<byte> key)
    {
        var hash = new HashCode();
        hash.AddBytes(key);
        return hash.ToHashCode();
    }

    /// <summary>Forgets every record (their chunks go to the GC, the spare stays) and shrinks the index back.</summary>
    public void Clear()
    {
        for (var i = 0; i < _count; i++)
            _chunks[(_first + i) & (_chunks.Length - 1)] = default;
        _first = 0;
        _count = 0;
        _head = _tail = (_head + ChunkSize - 1) & ~(long)(ChunkSize - 1);
        _firstChunkNumber = _head >> ChunkShift;
        ClearIndex();
        ClearHeld();
    }

    /// <summary>Records that the whole keyspace changed at <paramref name="revision"/> (not indexed: no key).</summary>
    public void AppendFlush(long revision)
    {
        Span<byte> header = stackalloc byte[MaxHeader];
        StartRecord(revision);
        WriteRecordHeader(header, revision, FlushedFlag, 0, 0, 0, 0, out var length);
        Write(header[..length]);
    }

    /// <summary>
    /// Records a change of <paramref name="key"/>, its previous value being the value of the key's latest change
    /// (<paramref name="latest"/>, found by <see cref="FindLatest"/> at <paramref name="slot"/>; -1: none), and makes
    /// it the key's latest change. <paramref name="held"/> is <paramref name="value"/> as memory that never changes, when
    /// it has one (empty otherwise): a long value is then held, not copied (and <paramref name="value"/> may then be
    /// empty: a paged string gives only its memory).
    /// </summary>
    public void Append(long revision, byte[] key, int hash, bool exists, bool hasValue, ReadOnlySpan<byte> value, ReadOnlyMemory<byte> held, int slot, long latest)
    {
        var previous = slot >= 0 ? ReadHeader(latest) : default;
        var hasPrevious = slot >= 0 && (previous.Flags & ValueFlag) != 0;
        var holdValue = hasValue && held.Length >= HeldFrom && (value.IsEmpty || held.Length == value.Length);
        var holdPrevious = hasPrevious && (previous.Flags & HeldValueFlag) != 0;
        var flags = (byte)((exists ? ExistsFlag : DeletedFlag) | (hasValue ? ValueFlag : 0) | (hasPrevious ? PreviousFlag : 0)
            | (holdValue ? HeldValueFlag : 0) | (holdPrevious ? HeldPreviousFlag : 0));
        Span<byte> header = stackalloc byte[MaxHeader];
        var position = StartRecord(revision);
        var valueLength = holdValue ? HandleLength : hasValue ? value.Length : 0;
        WriteRecordHeader(header, revision, flags, hash, key.Length, valueLength, hasPrevious ? previous.ValueLength : 0, out var length);
        Write(header[..length]);
        Write(key);
        if (holdValue)
            WriteHeld(held);
        else if (hasValue)
            Write(value);
        if (holdPrevious)
        {
            WriteHeld(ReadHeld(previous.Value));
        }
        else if (hasPrevious)
        {
            // From an older record to the head: writing may open a chunk, never one the source is in.
            for (long from = previous.Value, left = previous.ValueLength; left > 0;)
            {
                var segment = Segment(from);
                var part = (int)Math.Min(segment.Length, left);
                Write(segment[..part]);
                from += part;
                left -= part;
            }
        }

        if (slot >= 0)
            _slots[slot].Position = position + 1;
        else
            Insert(hash, position);
    }

    /// <summary>Drops the oldest record and returns its revision. The history must not be empty.</summary>
    public long TrimOldest()
    {
        var oldest = ReadHeader(_tail);
        if ((oldest.Flags & FlushedFlag) == 0)
            Remove(oldest.Hash, oldest.Position);
        if ((oldest.Flags & HeldValueFlag) != 0)
            ReleaseOldestHeld();
        if ((oldest.Flags & HeldPreviousFlag) != 0)
            ReleaseOldestHeld();
        _tail = oldest.End;
        while (_count > 0 && (_firstChunkNumber + 1) << ChunkShift <= _tail)
        {
            var bytes = _chunks[_first].Bytes;
            _chunks[_first] = default;
            _first = (_first + 1) & (_chunks.Length - 1);
            _count--;
            _firstChunkNumber++;
            _spare ??= bytes;
        }

        return oldest.Revision;
    }

    /// <summary>The oldest record when it marks a change of the whole keyspace.</summary>
    public WatchHub.Change? FirstFlush()
    {
        if (IsEmpty)
            return null;
        var first = ReadHeader(_tail);
        return (first.Flags & FlushedFlag) != 0 ? Decode(first) : null;
    }

    /// <summary>
    /// The changes of whole revisions from <paramref name="from"/> on, at most about <paramref name="max"/>, and about
    /// <see cref="ReadBytes"/> at most: they are copied out under WatchHub's lock, which the apply path waits for.
    /// </summary>
    public List<WatchHub.Change> Read(long from, int max)
    {
        var changes = new List<WatchHub.Change>();
        var bytes = 0L;
        var position = Seek(from);
        while (position < _head)
        {
            var record = ReadHeader(position);
            position = record.End;
            if (record.Revision < from)
                continue;
            if ((changes.Count >= max || bytes >= ReadBytes) && record.Revision != changes[^1].Revision)
                break;
            var change = Decode(record);
            changes.Add(change);
            bytes += record.End - record.Position;
            if ((record.Flags & HeldValueFlag) != 0)
                bytes += change.Value!.Length;
            if ((record.Flags & HeldPreviousFlag) != 0)
                bytes += change.Previous!.Length;
        }

        return changes;
    }

    // A record start at or before the first record of revision from or later: the first record of the last chunk whose
    // first revision is below from (the oldest record when none is).
    private long Seek(long from)
    {
        int low = 0, high = _count - 1, found = -1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            if (ChunkAt(middle).FirstRevision < from)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        while (found > 0 && ChunkAt(found).FirstRecord < 0)
            found--;
        return found < 0 || ChunkAt(found).FirstRecord < 0 ? _tail : Math.Max(_tail, ChunkAt(found).FirstRecord);
    }

    private WatchHub.Change Decode(Record record)
    {
        var flags = record.Flags;
        return new WatchHub.Change(
            record.Revision,
            Copy(record.Key, record.KeyLength),
            (flags & DeletedFlag) != 0,
            (flags & HeldValueFlag) != 0 ? ReadHeld(record.Value).ToArray() : (flags & ValueFlag) != 0 ? Copy(record.Value, record.ValueLength) : null,
            (flags & ExistsFlag) != 0,
            (flags & HeldPreviousFlag) != 0 ? ReadHeld(record.Previous).ToArray() : (flags & PreviousFlag) != 0 ? Copy(record.Previous, record.PreviousLength) : null,
            (flags & PreviousFlag) != 0,
            (flags & FlushedFlag) != 0);
    }

    private ref Chunk ChunkAt(int index) => ref _chunks[(_first + index) & (_chunks.Length - 1)];

    // The bytes from position to the end of its chunk (or to the head).
    private ReadOnlySpan<byte> Segment(long position)
    {
        var chunk = ChunkAt((int)((position >> ChunkShift) - _firstChunkNumber));
        var offset = (int)(position & (ChunkSize - 1));
        var end = Math.Min(ChunkSize, offset + (_head - position));
        return chunk.Bytes.AsSpan(offset, (int)end - offset);
    }

    private void CopyTo(long position, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            var segment = Segment(position);
            var part = Math.Min(segment.Length, destination.Length);
            segment[..part].CopyTo(destination);
            destination = destination[part..];
            position += part;
        }
    }

    private byte[] Copy(long position, int length)
    {
        var bytes = new byte[length];
        CopyTo(position, bytes);
        return bytes;
    }

    private bool KeyEquals(Record record, ReadOnlySpan<byte> key)
    {
        if (record.KeyLength != key.Length)
            return false;
        for (var position = record.Key; !key.IsEmpty;)
        {
            var segment = Segment(position);
            var part = Math.Min(segment.Length, key.Length);
            if (!segment[..part].SequenceEqual(key[..part]))
                return false;
            key = key[part..];
            position += part;
        }

        return true;
    }

    private Record ReadHeader(long position)
    {
        // Read in place, unless the header may cross into the next chunk.
        var segment = Segment(position);
        if (segment.Length >= MaxHeader || position + segment.Length >= _head)
            return ParseHeader(position, segment);
        Span<byte> copy = stackalloc byte[MaxHeader];
        copy = copy[..(int)Math.Min(MaxHeader, _head - position)];
        CopyTo(position, copy);
        return ParseHeader(position, copy);
    }

    private static Record ParseHeader(long position, ReadOnlySpan<byte> header)
    {
        var revision = BinaryPrimitives.ReadInt64LittleEndian(header);
        var flags = header[8];
        var hash = BinaryPrimitives.ReadInt32LittleEndian(header[9..]);
        var offset = 13;
        var keyLength = ReadLength(header, ref offset);
        var valueLength = (flags & ValueFlag) != 0 ? ReadLength(header, ref offset) : 0;
        var previousLength = (flags & PreviousFlag) != 0 ? ReadLength(header, ref offset) : 0;
        return new Record(position, revision, flags, hash, keyLength, valueLength, previousLength, offset);
    }

    private static int ReadLength(ReadOnlySpan<byte> header, ref int offset)
    {
        var value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = header[offset++];
            value |= (b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
    }

    private static void WriteRecordHeader(Span<byte> header, long revision, byte flags, int hash, int keyLength, int valueLength, int previousLength, out int length)
    {
        BinaryPrimitives.WriteInt64LittleEndian(header, revision);
        header[8] = flags;
        BinaryPrimitives.WriteInt32LittleEndian(header[9..], hash);
        length = 13;
        WriteLength(header, ref length, keyLength);
        if ((flags & ValueFlag) != 0)
            WriteLength(header, ref length, valueLength);
        if ((flags & PreviousFlag) != 0)
            WriteLength(header, ref length, previousLength);
    }

    private static void WriteLength(Span<byte> header, ref int offset, int value)
    {
        var rest = (uint)value;
        for (; rest >= 0x80; rest >>= 7)
            header[offset++] = (byte)(rest | 0x80);
        header[offset++] = (byte)rest;
    }

    // Opens the chunk the head is in when needed, and marks the record starting there if it is the chunk's first.
    private long StartRecord(long revision)
    {
        ref var chunk = ref HeadChunk(revision);
        if (chunk.FirstRecord < 0)
        {
            chunk.FirstRecord = _head;
            chunk.FirstRevision = revision;
        }

        LastRevision = revision;
        return _head;
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            ref var chunk = ref HeadChunk(LastRevision);
            var offset = (int)(_head & (ChunkSize - 1));
            var part = Math.Min(ChunkSize - offset, bytes.Length);
            bytes[..part].CopyTo(chunk.Bytes.AsSpan(offset));
            bytes = bytes[part..];
            _head += part;
        }
    }

    private ref Chunk HeadChunk(long revision)
    {
        var index = (int)((_head >> ChunkShift) - _firstChunkNumber);
        if (index < _count)
            return ref ChunkAt(index);
        if (_count == _chunks.Length)
        {
            var grown = new Chunk[_chunks.Length * 2];
            for (var i = 0; i < _count; i++)
                grown[i] = ChunkAt(i);
            _chunks = grown;
            _first = 0;
        }

        _count++;
        ref var added = ref ChunkAt(index);
        added = new Chunk { Bytes = _spare ?? new byte[ChunkSize], FirstRecord = -1, FirstRevision = revision };
        _spare = null;
        return ref added;
    }
}
