using System.Buffers;
using System.Globalization;
using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.Protocol.Resp;

/// <summary>
/// Renders a <see cref="Reply"/> as RESP2 or RESP3. Under RESP2 the RESP3-only kinds degrade as Redis
/// degrades them: map -> flat array, set and push -> array, double -> bulk string, boolean -> integer 1/0,
/// null -> <c>$-1</c> or <c>*-1</c> by <see cref="NullKind"/>, verbatim and big number -> bulk string, and an attribute
/// is left out (only the reply it annotates is written).
/// </summary>
public static class RespReplyWriter
{
    /// <summary>Writes <paramref name="reply"/> for a connection speaking <paramref name="protocolVersion"/> (2 or 3).</summary>
    public static void Write(IBufferWriter<byte> output, Reply reply, int protocolVersion)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(reply);
        if (protocolVersion is not (2 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(protocolVersion), protocolVersion, "RESP version must be 2 or 3.");
        }

        WriteReply(output, reply, protocolVersion == 3);
    }

    /// <summary>Writes an error line; identical under RESP2 and RESP3.</summary>
    public static void Write(IBufferWriter<byte> output, ErrorReply error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        WriteLine(output, (byte)'-', error.Message);
    }

    private static void WriteReply(IBufferWriter<byte> output, Reply reply, bool resp3)
    {
        switch (reply)
        {
            case SimpleStringReply simple:
                WriteLine(output, (byte)'+', simple.Value);
                break;
            case ErrorReply error:
                WriteLine(output, (byte)'-', error.Message);
                break;
            case IntegerReply integer:
                WriteNumberLine(output, (byte)':', integer.Value);
                break;
            case BulkReply bulk:
                WriteBulk(output, bulk.Value);
                break;
            case NullReply nullReply:
                if (resp3)
                {
                    output.Write("_\r\n"u8);
                }
                else
                {
                    output.Write(nullReply.Kind == NullKind.Array ? "*-1\r\n"u8 : "$-1\r\n"u8);
                }

                break;
            case ArrayReply array:
                WriteAggregate(output, (byte)'*', array.Items, resp3);
                break;
            case SetReply set:
                WriteAggregate(output, resp3 ? (byte)'~' : (byte)'*', set.Items, resp3);
                break;
            case PushReply push:
                WriteAggregate(output, resp3 ? (byte)'>' : (byte)'*', push.Items, resp3);
                break;
            case MapReply map:
                WriteMap(output, map, resp3);
                break;
            case PairsReply pairs:
                WritePairs(output, pairs, resp3);
                break;
            case DoubleReply number:
                WriteDouble(output, number.Text ?? RedisNumber.FormatDouble(number.Value), resp3);
                break;
            case BooleanReply boolean:
                if (resp3)
                {
                    output.Write(boolean.Value ? "#t\r\n"u8 : "#f\r\n"u8);
                }
                else
                {
                    output.Write(boolean.Value ? ":1\r\n"u8 : ":0\r\n"u8);
                }

                break;
            case VerbatimReply verbatim:
                WriteVerbatim(output, verbatim, resp3);
                break;
            case BigNumberReply big:
                if (resp3)
                {
                    WriteLine(output, (byte)'(', big.Digits);
                }
                else
                {
                    WriteBulk(output, Encoding.ASCII.GetBytes(big.Digits));
                }

                break;
            case AttributeReply attribute:
                if (resp3)
                {
                    WriteNumberLine(output, (byte)'|', attribute.Attributes.Entries.Count);
                    foreach (var entry in attribute.Attributes.Entries)
                    {
                        WriteReply(output, entry.Key, resp3);
                        WriteReply(output, entry.Value, resp3);
                    }
                }

                WriteReply(output, attribute.Value, resp3);
                break;
            default:
                throw new ArgumentException($"Unknown reply type {reply.GetType().Name}.", nameof(reply));
        }
    }

    private static void WriteAggregate(IBufferWriter<byte> output, byte type, IReadOnlyList<Reply> items, bool resp3)
    {
        WriteNumberLine(output, type, items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            WriteReply(output, items[i], resp3);
        }
    }

    private static void WriteMap(IBufferWriter<byte> output, MapReply map, bool resp3)
    {
        var entries = map.Entries;
        var pairs = !resp3 && map.PairsInResp2;
        if (resp3)
        {
            WriteNumberLine(output, (byte)'%', entries.Count);
        }
        else
        {
            WriteNumberLine(output, (byte)'*', pairs ? entries.Count : 2L * entries.Count);
        }

        for (int i = 0; i < entries.Count; i++)
        {
            if (pairs)
            {
                WriteNumberLine(output, (byte)'*', 2);
            }

            WriteReply(output, entries[i].Key, resp3);
            WriteReply(output, entries[i].Value, resp3);
        }
    }

    private static void WritePairs(IBufferWriter<byte> output, PairsReply reply, bool resp3)
    {
        var pairs = reply.Pairs;
        WriteNumberLine(output, (byte)'*', resp3 ? pairs.Count : 2L * pairs.Count);
        for (int i = 0; i < pairs.Count; i++)
        {
            if (resp3)
            {
                WriteNumberLine(output, (byte)'*', 2);
            }

            WriteReply(output, pairs[i].Key, resp3);
            WriteReply(output, pairs[i].Value, resp3);
        }
    }

    private static void WriteDouble(IBufferWriter<byte> output, string text, bool resp3)
    {
        Span<byte> ascii = stackalloc byte[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            ascii[i] = (byte)text[i];
        }

        if (resp3)
        {
            WriteByte(output, (byte)',');
            output.Write(ascii);
            output.Write("\r\n"u8);
        }
        else
        {
            WriteBulk(output, ascii);
        }
    }

    private static void WriteVerbatim(IBufferWriter<byte> output, VerbatimReply verbatim, bool resp3)
    {
        if (!resp3)
        {
            WriteBulk(output, verbatim.Value);
            return;
        }

        // RESP3 requires exactly three format bytes before the colon; Redis only ever sends "txt" or "mkd".
        byte[] format = Encoding.ASCII.GetBytes(verbatim.Format);
        if (format.Length != 3)
        {
            throw new ArgumentException($"Verbatim format must be three characters, got '{verbatim.Format}'.", nameof(verbatim));
        }

        WriteNumberLine(output, (byte)'=', 4L + verbatim.Value.Length);
        output.Write(format);
        WriteByte(output, (byte)':');
        output.Write(verbatim.Value);
        output.Write("\r\n"u8);
    }

    private static void WriteBulk(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        WriteNumberLine(output, (byte)'$', value.Length);
        output.Write(value);
        output.Write("\r\n"u8);
    }

    /// <summary>
    /// Writes a simple string or error line. CR and LF become spaces, as Redis's addReplyError does, since a
    /// line break inside (user-supplied text echoed in an error, say) would desynchronise the client.
    /// </summary>
    private static void WriteLine(IBufferWriter<byte> output, byte type, string text)
    {
        WriteByte(output, type);
        int length = Encoding.UTF8.GetByteCount(text);
        Span<byte> span = output.GetSpan(length);
        int written = Encoding.UTF8.GetBytes(text, span);
        span[..written].Replace((byte)'\r', (byte)' ');
        span[..written].Replace((byte)'\n', (byte)' ');
        output.Advance(written);
        output.Write("\r\n"u8);
    }

    private static void WriteNumberLine(IBufferWriter<byte> output, byte type, long value)
    {
        Span<byte> span = output.GetSpan(24);
        span[0] = type;
        value.TryFormat(span[1..], out int written, default, CultureInfo.InvariantCulture);
        span[written + 1] = (byte)'\r';
        span[written + 2] = (byte)'\n';
        output.Advance(written + 3);
    }

    private static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }
}
