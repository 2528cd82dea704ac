using System.Buffers;

namespace RaftKV.Node.Log;

/// <summary>
/// Records to append in one write and one sync, encoded as they are added. Indexes are consecutive from
/// <see cref="FirstIndex"/>; <see cref="SegmentedLog.Append"/> takes the batch only when that is the log's next index.
/// </summary>
internal sealed class LogBatch(long firstIndex)
{
    private readonly ArrayBufferWriter<byte> _bytes = new(4096);
    private readonly List<long> _offsets = [];
    private readonly List<long> _terms = [];

    public long FirstIndex { get; } = firstIndex >= 1 ? firstIndex : throw new ArgumentOutOfRangeException(nameof(firstIndex));

    public int Count => _offsets.Count;

    public long LastIndex => FirstIndex + Count - 1;

    /// <summary>Payload bytes added (without record headers).</summary>
    public long PayloadBytes { get; private set; }

    public long LastTerm => _terms.Count > 0 ? _terms[^1] : throw new InvalidOperationException("The batch is empty");

    internal ReadOnlyMemory<byte> Bytes => _bytes.WrittenMemory;

    internal IReadOnlyList<long> Offsets => _offsets;

    internal IReadOnlyList<long> Terms => _terms;

    /// <summary>Adds the next record; terms never decrease within a log.</summary>
    public void Add(long term, ReadOnlySpan<byte> payload, bool isConfiguration = false, int? commandId = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(term);
        if (_terms.Count > 0 && term < _terms[^1])
            throw new ArgumentOutOfRangeException(nameof(term), $"Term {term} after term {_terms[^1]}");
        if (payload.Length > LogRecordFormat.MaxPayloadLength)
            throw new ArgumentOutOfRangeException(nameof(payload), "The payload is too large for one record");

        var index = FirstIndex + Count;
        _offsets.Add(_bytes.WrittenCount);
        _terms.Add(term);
        var destination = _bytes.GetSpan(LogRecordFormat.RecordHeaderSize + payload.Length);
        LogRecordFormat.WriteRecordHeader(destination, term, index, FirstIndex, isConfiguration, commandId, payload);
        payload.CopyTo(destination[LogRecordFormat.RecordHeaderSize..]);
        _bytes.Advance(LogRecordFormat.RecordHeaderSize + payload.Length);
        PayloadBytes += payload.Length;
    }
}
