using System.Buffers;
using System.Globalization;
using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.Protocol.Resp;

/// <summary>
/// Client-side reader of RESP2 and RESP3 replies into the <see cref="Reply"/> model, used when a follower
/// relays the leader's reply. A reply is first walked without allocating; it is built only once it is
/// complete, so a large reply arriving in many pieces allocates once. Attributes (<c>|</c>) are skipped,
/// big numbers (<c>(</c>) become bulk strings of their digits, blob errors (<c>!</c>) become errors.
/// RESP3 streamed strings and aggregates (length <c>?</c>) are refused: Redis never sends them.
/// </summary>
public static class RespReplyReader
{
    /// <summary>Deeper nesting is refused so a hostile peer cannot overflow the stack.</summary>
    private const int MaxDepth = 512;

    /// <summary>
    /// Reads one reply from the front of <paramref name="buffer"/> using <see cref="RespLimits.Default"/>.
    /// Returns false, consuming nothing, when the reply is not complete yet; throws
    /// <see cref="RespProtocolException"/> on malformed input.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out Reply? reply) =>
        TryRead(ref buffer, RespLimits.Default, out reply);

    /// <inheritdoc cref="TryRead(ref ReadOnlySequence{byte}, out Reply?)"/>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, RespLimits limits, out Reply? reply)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var reader = new SequenceReader<byte>(buffer);
        if (!TryParse(ref reader, limits, 0, build: false, out _))
        {
            reply = null;
            return false;
        }

        SequencePosition end = reader.Position;
        reader = new SequenceReader<byte>(buffer);
        TryParse(ref reader, limits, 0, build: true, out reply);
        buffer = buffer.Slice(end);
        return true;
    }

    private static bool TryParse(ref SequenceReader<byte> reader, RespLimits limits, int depth, bool build, out Reply? reply)
    {
        reply = null;
        if (depth > MaxDepth)
        {
            throw new RespProtocolException("Protocol error: reply nesting too deep");
        }

        if (!reader.TryRead(out byte type))
        {
            return false;
        }

        if (!TryReadLine(ref reader, limits, out var line))
        {
            return false;
        }

        switch (type)
        {
            case (byte)'+':
                reply = build ? new SimpleStringReply(Encoding.UTF8.GetString(line)) : null;
                return true;
            case (byte)'-':
                reply = build ? new ErrorReply(Encoding.UTF8.GetString(line)) : null;
                return true;
            case (byte)':':
                long integer = ParseLength(line, "Protocol error: invalid integer reply");
                reply = build ? Reply.Integer(integer) : null;
                return true;
            case (byte)'(':
                byte[] digits = ParseBigNumber(line);
                reply = build ? new BulkReply(digits) : null;
                return true;
            case (byte)',':
                double number = ParseDouble(line);

                // The text travels with the value: a relayed reply is sent on exactly as the leader wrote it.
                reply = build ? new DoubleReply(number, Encoding.ASCII.GetString(line)) : null;
                return true;
            case (byte)'#':
                reply = ParseBoolean(line) ? Reply.Boolean(true) : Reply.Boolean(false);
                return true;
            case (byte)'_':
                if (line.Length != 0)
                {
                    throw new RespProtocolException("Protocol error: invalid null reply");
                }

                reply = Reply.Null;
                return true;
            case (byte)'$':
            case (byte)'!':
            case (byte)'=':
                return TryParseBlob(ref reader, limits, type, line, build, out reply);
            case (byte)'*':
            case (byte)'~':
            case (byte)'>':
            case (byte)'%':
                return TryParseAggregate(ref reader, limits, type, line, depth, build, out reply);
            case (byte)'|':
                long pairs = ParseCount(line, limits);
                for (long i = 0; i < 2 * pairs; i++)
                {
                    if (!TryParse(ref reader, limits, depth + 1, build: false, out _))
                    {
                        return false;
                    }
                }

                // The attribute annotates the reply that follows it; the reply is what the caller wants.
                return TryParse(ref reader, limits, depth + 1, build, out reply);
            default:
                throw new RespProtocolException($"Protocol error, got '{(char)type}' as reply type byte");
        }
    }

    private static bool TryParseBlob(
        ref SequenceReader<byte> reader, RespLimits limits, byte type, in ReadOnlySequence<byte> line, bool build, out Reply? reply)
    {
        reply = null;
        long length = ParseLength(line, "Protocol error: invalid bulk length");
        if (length == -1 && type == (byte)'$')
        {
            reply = Reply.Null;
            return true;
        }

        if (length < 0 || length > limits.MaxBulkLength)
        {
            throw new RespProtocolException("Protocol error: invalid bulk length");
        }

        if (reader.Remaining < length + 2)
        {
            return false;
        }

        var payload = reader.UnreadSequence.Slice(0, length);
        reader.Advance(length);
        if (!reader.IsNext("\r\n"u8, advancePast: true))
        {
            throw new RespProtocolException("Protocol error: bulk string not terminated by CRLF");
        }

        if (type == (byte)'=' && (length < 4 || !IsFormatSeparator(payload)))
        {
            throw new RespProtocolException("Protocol error: invalid verbatim string");
        }

        if (!build)
        {
            return true;
        }

        byte[] bytes = payload.ToArray();
        reply = type switch
        {
            (byte)'$' => new BulkReply(bytes),
            (byte)'!' => new ErrorReply(Encoding.UTF8.GetString(bytes)),
            _ => new VerbatimReply(Encoding.ASCII.GetString(bytes, 0, 3), bytes[4..]),
        };
        return true;
    }

    private static bool IsFormatSeparator(in ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        reader.Advance(3);
        return reader.TryPeek(out byte colon) && colon == (byte)':';
    }

    private static bool TryParseAggregate(
        ref SequenceReader<byte> reader, RespLimits limits, byte type, in ReadOnlySequence<byte> line, int depth, bool build, out Reply? reply)
    {
        reply = null;
        long count = ParseLength(line, "Protocol error: invalid multibulk length");
        if (count == -1 && type == (byte)'*')
        {
            reply = Reply.NullArray;
            return true;
        }

        if (count < 0 || count > limits.MaxArrayLength)
        {
            throw new RespProtocolException("Protocol error: invalid multibulk length");
        }

        int elements = (int)count * (type == (byte)'%' ? 2 : 1);

        // Only the build pass allocates, and it runs only when the whole reply is in the buffer.
        Reply[]? items = build ? new Reply[elements] : null;
        for (int i = 0; i < elements; i++)
        {
            if (!TryParse(ref reader, limits, depth + 1, build, out Reply? item))
            {
                return false;
            }

            if (items is not null)
            {
                items[i] = item!;
            }
        }

        if (items is null)
        {
            return true;
        }

        reply = type switch
        {
            (byte)'*' => new ArrayReply(items),
            (byte)'~' => new SetReply(items),
            (byte)'>' => new PushReply(items),
            _ => new MapReply(ToPairs(items)),
        };
        return true;
    }

    private static KeyValuePair<Reply, Reply>[] ToPairs(Reply[] items)
    {
        var pairs = new KeyValuePair<Reply, Reply>[items.Length / 2];
        for (int i = 0; i < pairs.Length; i++)
        {
            pairs[i] = new KeyValuePair<Reply, Reply>(items[2 * i], items[(2 * i) + 1]);
        }

        return pairs;
    }

    /// <summary>Reads up to CRLF and moves past it. A line that cannot end within the bulk limit is refused.</summary>
    private static bool TryReadLine(ref SequenceReader<byte> reader, RespLimits limits, out ReadOnlySequence<byte> line)
    {
        if (reader.TryReadTo(out line, "\r\n"u8, advancePastDelimiter: true))
        {
            return true;
        }

        if (reader.Remaining > limits.MaxBulkLength)
        {
            throw new RespProtocolException("Protocol error: too big reply line");
        }

        return false;
    }

    private static long ParseLength(in ReadOnlySequence<byte> line, string error)
    {
        Span<byte> scratch = stackalloc byte[20];
        if (line.Length is 0 or > 20)
        {
            throw new RespProtocolException(error);
        }

        line.CopyTo(scratch);
        if (!RedisNumber.TryParseLong(scratch[..(int)line.Length], out long value))
        {
            throw new RespProtocolException(error);
        }

        return value;
    }

    private static long ParseCount(in ReadOnlySequence<byte> line, RespLimits limits)
    {
        long count = ParseLength(line, "Protocol error: invalid multibulk length");
        if (count < 0 || count > limits.MaxArrayLength)
        {
            throw new RespProtocolException("Protocol error: invalid multibulk length");
        }

        return count;
    }

    private static byte[] ParseBigNumber(in ReadOnlySequence<byte> line)
    {
        byte[] digits = line.ToArray();
        int start = digits.Length > 0 && digits[0] is (byte)'-' or (byte)'+' ? 1 : 0;
        if (digits.Length == start || digits.AsSpan(start).ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            throw new RespProtocolException("Protocol error: invalid big number reply");
        }

        return digits;
    }

    private static double ParseDouble(in ReadOnlySequence<byte> line)
    {
        if (line.Length is 0 or > 5 * 1024)
        {
            throw new RespProtocolException("Protocol error: invalid double reply");
        }

        string text = Encoding.ASCII.GetString(line);
        switch (text.ToLowerInvariant())
        {
            case "inf":
            case "+inf":
                return double.PositiveInfinity;
            case "-inf":
                return double.NegativeInfinity;
            case "nan":
            case "-nan":
                return double.NaN;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            throw new RespProtocolException("Protocol error: invalid double reply");
        }

        return value;
    }

    private static bool ParseBoolean(in ReadOnlySequence<byte> line)
    {
        var reader = new SequenceReader<byte>(line);
        if (line.Length == 1 && reader.TryPeek(out byte value))
        {
            if (value == (byte)'t')
            {
                return true;
            }

            if (value == (byte)'f')
            {
                return false;
            }
        }

        throw new RespProtocolException("Protocol error: invalid boolean reply");
    }
}
