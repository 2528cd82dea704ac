using System.Buffers;

namespace RaftKV.Protocol.Resp;

/// <summary>
/// Reads client requests the way Redis's processMultibulkBuffer and processInlineBuffer do, with the same
/// error texts. Framing is separated from copying: a frame is first walked without allocating (headers
/// parsed, bulk payloads skipped by length), and arguments are copied out only once the whole frame is
/// in the buffer, so a large request arriving in many pieces is never copied more than once. With a
/// <see cref="RespRequestScan"/> the walk of an incomplete frame goes on at the next call from where it stopped.
/// </summary>
public static partial class RespRequestReader
{
    private enum FrameStatus
    {
        NeedMoreData,
        Skipped,
        Complete,
    }

    /// <summary>
    /// Reads one request from the front of <paramref name="buffer"/>.
    /// Returns true and advances <paramref name="buffer"/> past the request when a whole one is present.
    /// Returns false when more bytes are needed; <paramref name="buffer"/> is then unchanged, except that
    /// empty inline lines and empty multibulks (<c>*0</c>, <c>*-1</c>), which Redis ignores, are consumed.
    /// Throws <see cref="RespProtocolException"/> on malformed input or input beyond <paramref name="limits"/>;
    /// the connection cannot be resynchronised after that.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, RespLimits limits, out RespRequest? request) =>
        TryRead(ref buffer, limits, null, out request);

    /// <summary>
    /// As <see cref="TryRead(ref ReadOnlySequence{byte}, RespLimits, out RespRequest?)"/>, remembering in
    /// <paramref name="scan"/> how much of an incomplete multibulk frame was walked, so the next call (with a buffer that
    /// starts at the same frame) walks only what arrived since.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, RespLimits limits, RespRequestScan? scan, out RespRequest? request)
    {
        ArgumentNullException.ThrowIfNull(limits);
        request = null;
        while (!buffer.IsEmpty)
        {
            FrameStatus status;
            SequencePosition end;
            byte[][]? arguments;
            if (FirstByte(buffer) == (byte)'*')
            {
                // Most requests are small and lie whole in the buffer's first segment: read in one pass over a span.
                if (scan is not { Count: > 0 } && TryReadSmallMultibulk(buffer.FirstSpan, limits, scan, out var consumed, out arguments))
                {
                    buffer = buffer.Slice(consumed);
                    request = new RespRequest(arguments);
                    return true;
                }

                status = ReadMultibulk(buffer, limits, scan, out end, out arguments);
            }
            else
            {
                status = ReadInline(buffer, limits, out end, out arguments);
            }

            switch (status)
            {
                case FrameStatus.NeedMoreData:
                    return false;
                case FrameStatus.Skipped:
                    buffer = buffer.Slice(end);
                    continue;
                default:
                    buffer = buffer.Slice(end);
                    request = new RespRequest(arguments!);
                    return true;
            }
        }

        return false;
    }

    private static byte FirstByte(in ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        reader.TryPeek(out byte value);
        return value;
    }

    private static FrameStatus ReadMultibulk(
        in ReadOnlySequence<byte> buffer, RespLimits limits, RespRequestScan? scan, out SequencePosition end, out byte[][]? arguments)
    {
        arguments = null;
        var reader = new SequenceReader<byte>(buffer);
        FrameStatus status;
        long count;
        try
        {
            status = WalkMultibulk(ref reader, limits, scan, null, out count);
        }
        catch (RespProtocolException)
        {
            scan?.Reset();
            throw;
        }

        end = reader.Position;
        if (status != FrameStatus.Complete)
        {
            return status;
        }

        // The count is bounded by limits.MaxArrayLength and every payload is already in the buffer.
        arguments = new byte[count][];
        reader = new SequenceReader<byte>(buffer);
        WalkMultibulk(ref reader, limits, null, arguments, out _);
        end = reader.Position;
        return FrameStatus.Complete;
    }

    /// <summary>
    /// Walks one multibulk frame. With <paramref name="arguments"/> null it only validates and measures, going on from
    /// where <paramref name="scan"/> stopped (and recording there where it stops); otherwise it copies every payload
    /// into it (the frame is then known to be complete and valid).
    /// </summary>
    private static FrameStatus WalkMultibulk(
        ref SequenceReader<byte> reader, RespLimits limits, RespRequestScan? scan, byte[][]? arguments, out long count)
    {
        long first = 0;
        if (scan is { Count: > 0 })
        {
            // The header and the first Walked arguments were validated by an earlier call on this same frame.
            (count, first) = (scan.Count, scan.Walked);
            reader.Advance(scan.Offset);
        }
        else
        {
            count = 0;
            if (!TryReadHeaderLine(ref reader, limits, "Protocol error: too big mbulk count string", out var line))
            {
                return FrameStatus.NeedMoreData;
            }

            if (!TryParseHeaderNumber(line, out count) || count > limits.MaxArrayLength || count > int.MaxValue)
            {
                throw new RespProtocolException("Protocol error: invalid multibulk length");
            }

            if (count > limits.UnauthenticatedMaxArrayLength)
            {
                throw new RespProtocolException("Protocol error: unauthenticated multibulk length");
            }

            if (count <= 0)
            {
                scan?.Reset();
                return FrameStatus.Skipped;
            }
        }

        for (long i = first; i < count; i++)
        {
            long start = reader.Consumed;
            if (!TryReadHeaderLine(ref reader, limits, "Protocol error: too big bulk count string", out var header))
            {
                return Incomplete(scan, count, i, start);
            }

            // An empty header line means the CR itself stood where '$' was expected.
            byte type = header.IsEmpty ? (byte)'\r' : FirstByte(header);
            if (type != (byte)'$')
            {
                throw new RespProtocolException($"Protocol error: expected '$', got '{(char)type}'");
            }

            if (!TryParseHeaderNumber(header, out long length) || length < 0 || length > limits.MaxBulkLength)
            {
                throw new RespProtocolException("Protocol error: invalid bulk length");
            }

            if (length > limits.UnauthenticatedMaxBulkLength)
            {
                throw new RespProtocolException("Protocol error: unauthenticated bulk length");
            }

            // Like Redis, the two bytes after the payload are taken as its CRLF without inspecting them.
            if (reader.Remaining < length + 2)
            {
                return Incomplete(scan, count, i, start);
            }

            if (arguments is not null)
            {
                var value = new byte[length];
                reader.TryCopyTo(value);
                arguments[i] = value;
            }

            reader.Advance(length + 2);
            if (scan is not null)
            {
                scan.Stepped += reader.Consumed - start;
            }
        }

        scan?.Reset();
        return FrameStatus.Complete;
    }

    /// <summary>Records that argument <paramref name="walked"/>, at <paramref name="offset"/>, has not arrived whole.</summary>
    private static FrameStatus Incomplete(RespRequestScan? scan, long count, long walked, long offset)
    {
        scan?.Save(count, walked, offset);
        return FrameStatus.NeedMoreData;
    }

    /// <summary>
    /// Reads a header line such as <c>*3</c> or <c>$5</c> (type byte included, CR excluded) and moves past its
    /// CRLF. As in Redis the line ends at the first CR, which must be followed by one more byte. A line that
    /// cannot end within <see cref="RespLimits.MaxInlineLength"/> bytes throws <paramref name="tooBigMessage"/>,
    /// whether or not its CR has arrived, so the outcome does not depend on how the input was split.
    /// </summary>
    private static bool TryReadHeaderLine(
        ref SequenceReader<byte> reader, RespLimits limits, string tooBigMessage, out ReadOnlySequence<byte> line)
    {
        line = default;
        var unread = reader.UnreadSequence;
        long window = Math.Min(unread.Length, (long)limits.MaxInlineLength + 1);
        SequencePosition? cr = unread.Slice(0, window).PositionOf((byte)'\r');
        if (cr is null)
        {
            if (unread.Length > limits.MaxInlineLength)
            {
                throw new RespProtocolException(tooBigMessage);
            }

            return false;
        }

        line = unread.Slice(0, cr.Value);
        if (unread.Length < line.Length + 2)
        {
            return false;
        }

        reader.Advance(line.Length + 2);
        return true;
    }

    /// <summary>Parses the digits after the type byte with string2ll rules; longer than 20 digits fails.</summary>
    private static bool TryParseHeaderNumber(in ReadOnlySequence<byte> line, out long value)
    {
        value = 0;
        long digits = line.Length - 1;
        if (digits is <= 0 or > 20)
        {
            return false;
        }

        Span<byte> scratch = stackalloc byte[21];
        line.CopyTo(scratch);
        return RedisNumber.TryParseLong(scratch[1..(int)line.Length], out value);
    }

    private static FrameStatus ReadInline(
        in ReadOnlySequence<byte> buffer, RespLimits limits, out SequencePosition end, out byte[][]? arguments)
    {
        arguments = null;
        end = buffer.Start;

        // Redis refuses an unterminated line once it exceeds the limit; a terminated line beyond the limit is
        // refused too, so the outcome does not depend on how the bytes were split across reads.
        long window = Math.Min(buffer.Length, (long)limits.MaxInlineLength + 1);
        SequencePosition? newline = buffer.Slice(0, window).PositionOf((byte)'\n');
        if (newline is null)
        {
            if (buffer.Length > limits.MaxInlineLength)
            {
                throw new RespProtocolException("Protocol error: too big inline request");
            }

            return FrameStatus.NeedMoreData;
        }

        var line = buffer.Slice(0, newline.Value);
        end = buffer.GetPosition(1, newline.Value);
        int length = (int)line.Length;
        byte[]? rented = null;
        Span<byte> text = length <= 512 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            text = text[..length];
            line.CopyTo(text);
            if (length > 0 && text[length - 1] == (byte)'\r')
            {
                text = text[..(length - 1)];
            }

            List<byte[]>? parts = InlineArgumentSplitter.Split(text);
            if (parts is null)
            {
                throw new RespProtocolException("Protocol error: unbalanced quotes in request");
            }

            if (parts.Count == 0)
            {
                return FrameStatus.Skipped;
            }

            arguments = parts.ToArray();
            return FrameStatus.Complete;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
