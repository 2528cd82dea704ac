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

        WriteHeader(destination, command.Command, command.TimestampMs, command.Seed);
        var position = HeaderLength;
        position += WriteVarint(destination[position..], command.Arguments.Length);
        foreach (var argument in command.Arguments)
        {
            position += WriteVarint(destination[position..], argument.Length);
            argument.CopyTo(destination[position..]);
            position += argument.Length;
        }
    }

    /// <summary>
    /// The encoding of <c>new LogCommand(command, timestampMs, seed, [Encode(entries[0]), Encode(entries[1]), ...])</c>,
    /// byte for byte, written in one buffer without an array per nested entry (the group commit's Batch entry).
    /// </summary>
    public static byte[] EncodeNested(CommandId command, long timestampMs, ulong seed, IReadOnlyList<LogCommand> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        long length = HeaderLength + VarintLength(entries.Count);
        foreach (var entry in entries)
        {
            var nested = GetEncodedLength(entry);
            length += VarintLength(nested) + nested;
        }

        if (length > int.MaxValue)
        {
            throw new ArgumentException("The entries are too large to encode as one log entry.", nameof(entries));
        }

        var buffer = new byte[length];
        var destination = buffer.AsSpan();
        WriteHeader(destination, command, timestampMs, seed);
        var position = HeaderLength;
        position += WriteVarint(destination[position..], entries.Count);
        foreach (var entry in entries)
        {
            var nested = GetEncodedLength(entry);
            position += WriteVarint(destination[position..], nested);
            Encode(entry, destination.Slice(position, nested));
            position += nested;
        }

        return buffer;
    }

    /// <summary>The command id of an encoded entry, read from its header alone; false when it is not one this node reads.</summary>
    public static bool TryPeekCommand(ReadOnlySequence<byte> payload, out CommandId command)
    {
        command = default;
        var reader = new SequenceReader<byte>(payload);
        if (!reader.TryRead(out var version) || version != FormatVersion || !reader.TryReadLittleEndian(out short id))
        {
            return false;
        }

        command = (CommandId)(ushort)id;
        return true;
    }

    /// <summary>
    /// Decodes as <see cref="Decode"/> does (same checks, same exceptions), but hands each argument over as a slice of
    /// <paramref name="payload"/> in <paramref name="arguments"/> (cleared first) instead of copying it: for a Batch,
    /// whose arguments are whole entries decoded in turn. The returned command has no arguments.
    /// </summary>
    public static LogCommand DecodeSlices(ReadOnlySequence<byte> payload, List<ReadOnlySequence<byte>> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        arguments.Clear();
        var reader = new SequenceReader<byte>(payload);
        var (command, timestamp, seed, count) = ReadHeader(ref reader);
        for (var i = 0; i < count; i++)
        {
            var length = ReadVarint(ref reader);
            if (length > reader.Remaining)
            {
                throw Truncated();
            }

            arguments.Add(payload.Slice(reader.Position, length));
            reader.Advance(length);
        }

        if (!reader.End)
        {
            throw new LogEntryFormatException($"The log entry has {reader.Remaining} unexpected trailing bytes.");
        }

        return new LogCommand(command, timestamp, seed, []);
    }

    public static LogCommand Decode(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        var (command, timestamp, seed, count) = ReadHeader(ref reader);
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

        return new LogCommand(command, timestamp, seed, arguments);
    }

    // Version, command, timestamp, seed and the argument count, which is checked against the bytes left.
    private static (CommandId Command, long TimestampMs, ulong Seed, int Count) ReadHeader(ref SequenceReader<byte> reader)
    {
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

        return ((CommandId)(ushort)command, timestamp, unchecked((ulong)seed), count);
    }

    private static void WriteHeader(Span<byte> destination, CommandId command, long timestampMs, ulong seed)
    {
        destination[0] = FormatVersion;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[1..], (ushort)command);
        BinaryPrimitives.WriteInt64LittleEndian(destination[3..], timestampMs);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[11..], seed);
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
