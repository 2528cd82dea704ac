using System.Buffers;
using System.Buffers.Binary;
using RaftKV.Protocol.Commands;

namespace RaftKV.StateMachine.Log;

/// <summary>
/// The binary form of a <see cref="LogCommand"/>. THIS IS A PERSISTED FORMAT (Raft log on disk, pinned by
/// <c>LogEntryCodecTests</c>): change it only by adding a new <see cref="FormatVersion"/> and keep decoding the old.
/// Layout, all integers little-endian:
/// <code>
/// version:u8 | command:u16 | timestampMs:i64 | seed:u64 | argCount:varint | (length:varint | bytes) * argCount
/// </code>
/// varint is unsigned LEB128 of at most 5 bytes holding a value up to int.MaxValue.
/// </summary>
public static class LogEntryCodec
{
    public const byte FormatVersion = 1;

    private const int HeaderLength = 1 + 2 + 8 + 8;

    public static int GetEncodedLength(LogCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        long length = HeaderLength + VarintLength(command.Arguments.Length);
        foreach (var argument in command.Arguments)
        {
            length += VarintLength(argument.Length) + argument.Length;
        }

        if (length > int.MaxValue)
        {
            throw new ArgumentException("The command is too large to encode as one log entry.", nameof(command));
        }

        return (int)length;
    }

    public static byte[] Encode(LogCommand command)
    {
        var buffer = new byte[GetEncodedLength(command)];
        Encode(command, buffer);
        return buffer;
    }

    /// <summary>Writes exactly <see cref="GetEncodedLength"/> bytes at the start of <paramref name="destination"/>.</summary>
    public static void Encode(LogCommand command, Span<byte> destination)
    {
        var length = GetEncodedLength(command);
        if (destination.Length < length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} bytes; the entry needs {length}.", nameof(destination));
        }

        destination[0] = FormatVersion;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[1..], (ushort)command.Command);
        BinaryPrimitives.WriteInt64LittleEndian(destination[3..], command.TimestampMs);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[11..], command.Seed);
        var position = HeaderLength;
        position += WriteVarint(destination[position..], command.Arguments.Length);
        foreach (var argument in command.Arguments)
        {
            position += WriteVarint(destination[position..], argument.Length);
            argument.CopyTo(destination[position..]);
            position += argument.Length;
        }
    }

    public static LogCommand Decode(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        if (!reader.TryRead(out var version))
        {
            throw new LogEntryFormatException("The log entry is empty.");
        }

        if (version != FormatVersion)
        {
            throw new LogEntryFormatException($"Unknown log entry format version {version}; this node reads version {FormatVersion}.");
        }

        if (!reader.TryReadLittleEndian(out short command)
            || !reader.TryReadLittleEndian(out long timestamp)
            || !reader.TryReadLittleEndian(out long seed))
        {
            throw Truncated();
        }

        var count = ReadVarint(ref reader);
        // Every argument takes at least one byte (its length), which bounds the count before allocating.
        if (count > reader.Remaining)
        {
            throw Truncated();
        }

        var arguments = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            var length = ReadVarint(ref reader);
            if (length > reader.Remaining)
            {
                throw Truncated();
            }

            var argument = new byte[length];
            reader.TryCopyTo(argument);
            reader.Advance(length);
            arguments[i] = argument;
        }

        if (!reader.End)
        {
            throw new LogEntryFormatException($"The log entry has {reader.Remaining} unexpected trailing bytes.");
        }

        return new LogCommand((CommandId)(ushort)command, timestamp, unchecked((ulong)seed), arguments);
    }

    private static LogEntryFormatException Truncated() => new("The log entry is truncated.");

    private static int VarintLength(int value)
    {
        var length = 1;
        for (var v = (uint)value; v >= 0x80; v >>= 7)
        {
            length++;
        }

        return length;
    }

    private static int WriteVarint(Span<byte> destination, int value)
    {
        var v = (uint)value;
        var i = 0;
        while (v >= 0x80)
        {
            destination[i++] = (byte)(v | 0x80);
            v >>= 7;
        }

        destination[i++] = (byte)v;
        return i;
    }

    private static int ReadVarint(ref SequenceReader<byte> reader)
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (!reader.TryRead(out var b))
            {
                throw Truncated();
            }

            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                if (value > int.MaxValue || (shift == 28 && b > 0x07))
                {
                    throw new LogEntryFormatException("A length in the log entry is out of range.");
                }

                return (int)value;
            }
        }

        throw new LogEntryFormatException("A length in the log entry is not a valid varint.");
    }
}
