using System.Buffers;

namespace RaftKV.Protocol.Resp;

/// <summary>
/// Whether one reply is whole at the front of a buffer that only grows between calls, going on from where the last
/// call stopped. A relayed reply of a million elements arrives in hundreds of reads, and checking it from its first byte
/// at each (the first pass of <see cref="RespReplyReader.TryRead(ref ReadOnlySequence{byte}, RespLimits, out Replies.Reply?)"/>)
/// made reading it quadratic: seconds, past the command timeout. Only the framing is followed (type byte, header line,
/// blob length, element counts; an attribute stands for its pairs and the value it annotates); RespReplyReader
/// validates and parses the reply once this finds it whole. A header this cannot read is left to it too (whole).
/// </summary>
public sealed class RespReplyScan
{
    // Bytes of the reply already followed, and the elements each open aggregate still expects (innermost on top).
    private long _scanned;
    private readonly Stack<long> _open = new();

    /// <summary>Forgets the reply followed so far (call it once that reply is read).</summary>
    public void Reset()
    {
        _scanned = 0;
        _open.Clear();
    }

    /// <summary>
    /// True when the reply that starts <paramref name="buffer"/> is whole, or cannot be followed (for the parser to
    /// refuse); <paramref name="buffer"/> holds the bytes of the earlier calls and maybe more.
    /// </summary>
    public bool IsWhole(in ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer.Slice(_scanned));
        while (true)
        {
            var start = reader.Consumed;
            if (!reader.TryRead(out var type))
                return false;
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8))
                return reader.Remaining > RespLimits.Default.MaxInlineLength; // a header past any limit: the parser's to refuse
            long children = 0;
            switch (type)
            {
                case (byte)'+' or (byte)'-' or (byte)':' or (byte)',' or (byte)'(' or (byte)'#' or (byte)'_':
                    break;
                case (byte)'$' or (byte)'!' or (byte)'=':
                    if (!TryNumber(line, out var length) || (length < 0 && !(length == -1 && type == (byte)'$')))
                        return true;
                    if (length >= 0)
                    {
                        if (reader.Remaining < length + 2)
                            return false;
                        reader.Advance(length + 2);
                    }

                    break;
                case (byte)'*' or (byte)'~' or (byte)'>' or (byte)'%' or (byte)'|':
                    if (!TryNumber(line, out var count))
                        return true;
                    count = Math.Max(0, count);
                    children = type switch
                    {
                        (byte)'%' => count * 2,
                        (byte)'|' => count * 2 + 1,
                        _ => count,
                    };
                    break;
                default:
                    return true;
            }

            _scanned += reader.Consumed - start;
            if (children > 0)
            {
                _open.Push(children);
                continue;
            }

            while (true)
            {
                if (_open.Count == 0)
                    return true;
                var left = _open.Pop() - 1;
                if (left > 0)
                {
                    _open.Push(left);
                    break;
                }
            }
        }
    }

    // The header's number, as the parsers read one (RedisNumber).
    private static bool TryNumber(in ReadOnlySequence<byte> line, out long number)
    {
        number = 0;
        if (line.Length is 0 or > 20)
            return false;
        Span<byte> digits = stackalloc byte[20];
        line.CopyTo(digits);
        return RedisNumber.TryParseLong(digits[..(int)line.Length], out number);
    }
}
