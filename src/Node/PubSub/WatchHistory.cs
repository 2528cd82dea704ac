using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace RaftKV.Node.PubSub;

/// <summary>
/// <see cref="WatchHub"/>'s changes, oldest first, encoded back to back in a ring of fixed-size byte chunks, each with
/// the key's value before the change when it held a string (prev_kv), which the state machine gives with the change
/// (an index from each key to its latest change here cost every change two or three cache misses: a third of a
/// 3-node cluster's CPU per SET at -P 16 went to the history). The heap it holds is a few arrays whose sizes it knows, so
/// <see cref="HeldBytes"/> is exact by construction, and recording a change allocates nothing that lives on: a chunk
/// freed by trimming is reused for the next one. (A record, a list node and a key string per change held about 260 bytes
/// of heap for a small SET, three times what the limit counted, and each went to gen2.) Changes become objects only when
/// a watcher reads them. Not thread-safe: WatchHub calls it under its lock.
/// </summary>
/// <remarks>
/// A record: revision (8 bytes), flags (1), the key's length, then the value's and the previous value's lengths when
/// present (LEB128), then the key, value and previous value. A record may cross chunk boundaries.
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
    private const int MaxHeader = 8 + 1 + 3 * 5;
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

    private readonly record struct Record(long Position, long Revision, byte Flags, int KeyLength, int ValueLength, int PreviousLength, int HeaderLength)
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
    /// new one), the chunk table, and the values held by reference with their queue.
    /// </summary>
    public long HeldBytes =>
        (_count + 1L) * (ChunkSize + ArrayOverhead)
        + ArrayOverhead + (long)_chunks.Length * Unsafe.SizeOf<Chunk>()
        + HeldValueBytes;

    /// <summary>Forgets every record (their chunks go to the GC, the spare stays).</summary>
    public void Clear()
    {
        for (var i = 0; i < _count; i++)
            _chunks[(_first + i) & (_chunks.Length - 1)] = default;
        _first = 0;
        _count = 0;
        _head = _tail = (_head + ChunkSize - 1) & ~(long)(ChunkSize - 1);
        _firstChunkNumber = _head >> ChunkShift;
        ClearHeld();
    }

    /// <summary>Records that the whole keyspace changed at <paramref name="revision"/> (no key).</summary>
    public void AppendFlush(long revision)
    {
        Span<byte> header = stackalloc byte[MaxHeader];
        StartRecord(revision);
        WriteRecordHeader(header, revision, FlushedFlag, 0, 0, 0, out var length);
        Write(header[..length]);
    }

    /// <summary>
    /// Records a change of <paramref name="key"/>: whether it exists after it and its string value then
    /// (<paramref name="hasValue"/>), and its string value before it (<paramref name="hasPrevious"/>). Each value is given
    /// as bytes, and as memory that never changes when it has one (empty otherwise): a long value is then held, not
    /// copied (and its bytes may then be empty: a paged string gives only its memory).
    /// </summary>
    public void Append(long revision, byte[] key, bool exists, bool hasValue, ReadOnlySpan<byte> value, ReadOnlyMemory<byte> held,
        bool hasPrevious, ReadOnlySpan<byte> previous, ReadOnlyMemory<byte> previousHeld)
    {
        var holdValue = hasValue && Holds(value, held);
        var holdPrevious = hasPrevious && Holds(previous, previousHeld);
        var flags = (byte)((exists ? ExistsFlag : DeletedFlag) | (hasValue ? ValueFlag : 0) | (hasPrevious ? PreviousFlag : 0)
            | (holdValue ? HeldValueFlag : 0) | (holdPrevious ? HeldPreviousFlag : 0));
        Span<byte> header = stackalloc byte[MaxHeader];
        StartRecord(revision);
        WriteRecordHeader(header, revision, flags, key.Length, StoredLength(hasValue, holdValue, value),
            StoredLength(hasPrevious, holdPrevious, previous), out var length);
        Write(header[..length]);
        Write(key);
        WriteStored(hasValue, holdValue, value, held);
        WriteStored(hasPrevious, holdPrevious, previous, previousHeld);
    }

    // A value of HeldFrom bytes or more that has memory of its own is held by reference.
    private static bool Holds(ReadOnlySpan<byte> bytes, ReadOnlyMemory<byte> held) =>
        held.Length >= HeldFrom && (bytes.IsEmpty || held.Length == bytes.Length);

    // A value's length in the record: its handle's when held, else its own (0 when there is none).
    private static int StoredLength(bool has, bool hold, ReadOnlySpan<byte> bytes) => hold ? HandleLength : has ? bytes.Length : 0;

    private void WriteStored(bool has, bool hold, ReadOnlySpan<byte> bytes, ReadOnlyMemory<byte> held)
    {
        if (hold)
            WriteHeld(held);
        else if (has)
            Write(bytes);
    }

    /// <summary>Drops the oldest record and returns its revision. The history must not be empty.</summary>
    public long TrimOldest()
    {
        var oldest = ReadHeader(_tail);
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
        var offset = 9;
        var keyLength = ReadLength(header, ref offset);
        var valueLength = (flags & ValueFlag) != 0 ? ReadLength(header, ref offset) : 0;
        var previousLength = (flags & PreviousFlag) != 0 ? ReadLength(header, ref offset) : 0;
        return new Record(position, revision, flags, keyLength, valueLength, previousLength, offset);
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

    private static void WriteRecordHeader(Span<byte> header, long revision, byte flags, int keyLength, int valueLength, int previousLength, out int length)
    {
        BinaryPrimitives.WriteInt64LittleEndian(header, revision);
        header[8] = flags;
        length = 9;
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
