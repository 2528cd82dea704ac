using System.Numerics;
using System.Runtime.InteropServices;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// SETBIT, GETBIT, BITCOUNT, BITPOS and BITOP with Redis 7.0 semantics on string values. Bit 0 is the most
/// significant bit of byte 0. Strings are immutable here (snapshots share them), so a write builds a new value (of a
/// long string, only the page it writes: <see cref="StringValue.Patched"/>);
/// a write that changes nothing (same bit, no growth) leaves the key and its revision alone, as Redis leaves it
/// unmodified (no WATCH invalidation).
/// </summary>
internal static class BitCommands
{
    public const string BitArgumentError = "ERR The bit argument must be 1 or 0.";
    public const string BitopNotSingleKey = "ERR BITOP NOT must be called with a single source key.";

    /// <summary>SETBIT: offset and value were checked by <see cref="BitArguments.ValidateSetBit"/>.</summary>
    public static Reply SetBit(KeyTable keys, byte[][] args, long now)
    {
        BitArguments.TryParseOffset(args[1], 0, out var offset);
        RedisIntegers.TryParse(args[2], out var on);
        var index = (int)(offset >> 3);
        var mask = (byte)(1 << (7 - (int)(offset & 7)));
        // A bit set to the value it has, within the string, changes nothing (Redis signals no change).
        var existing = keys.FindForWriteUnless(args[0], now,
            e => e.Value is not StringValue s || (index < s.Length && ((s.ByteAt(index) & mask) != 0) == (on == 1)));
        if (existing is not null && existing.Value is not StringValue)
        {
            return TypedEntry.WrongType;
        }

        var old = existing?.Value as StringValue;
        var oldLength = old?.Length ?? 0;
        var current = index < oldLength ? old!.ByteAt(index) : (byte)0;
        var wasSet = (current & mask) != 0;
        if (existing is not null && index < oldLength && wasSet == (on == 1))
        {
            return wasSet ? Reply.One : Reply.Zero;
        }

        var updated = on == 1 ? (byte)(current | mask) : (byte)(current & ~mask);
        keys.Put(args[0], StringValue.Patched(old, index, [updated]), existing?.ExpireAtMs ?? KeyEntry.NoExpiry);
        keys.Notify(KeyspaceEvents.String, "setbit", args[0]);
        return wasSet ? Reply.One : Reply.Zero;
    }

    public static Reply GetBit(KeyTable keys, byte[][] args, long now)
    {
        if (!BitArguments.TryParseOffset(args[1], 0, out var offset))
        {
            return Reply.Error(BitArguments.OffsetError);
        }

        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out StringValue? value))
        {
            return TypedEntry.WrongType;
        }

        var index = offset >> 3;
        return value is not null && index < value.Length && (value.ByteAt((int)index) & (1 << (7 - (int)(offset & 7)))) != 0
            ? Reply.One : Reply.Zero;
    }

    /// <summary>BITCOUNT key [start end [BYTE|BIT]]: a missing key counts 0 before the range is even parsed, as in Redis.</summary>
    public static Reply BitCount(KeyTable keys, byte[][] args, long now)
    {
        var entry = keys.FindLive(args[0], now);
        if (entry is null)
        {
            return Reply.Zero;
        }

        if (entry.Value is not StringValue s)
        {
            return TypedEntry.WrongType;
        }

        var value = s.Span;
        if (args.Length == 1)
        {
            return Reply.Integer(PopCount(value));
        }

        if (args.Length is not (3 or 4))
        {
            return Reply.Error(ErrorTexts.Syntax);
        }

        if (!RedisIntegers.TryParse(args[1], out var start) || !RedisIntegers.TryParse(args[2], out var end))
        {
            return Reply.Error(ErrorTexts.NotInteger);
        }

        // Redis answers this case before it looks at the unit argument.
        if (start < 0 && end < 0 && start > end)
        {
            return Reply.Zero;
        }

        if (!TryParseUnit(args, 3, out var inBits))
        {
            return Reply.Error(ErrorTexts.Syntax);
        }

        if (!ClampRange(value.Length, inBits, start, end, out var firstBit, out var lastBit))
        {
            return Reply.Zero;
        }

        return Reply.Integer(CountBits(value, firstBit, lastBit));
    }

    /// <summary>BITPOS key bit [start [end [BYTE|BIT]]].</summary>
    public static Reply BitPos(KeyTable keys, byte[][] args, long now)
    {
        if (!RedisIntegers.TryParse(args[1], out var bit))
        {
            return Reply.Error(ErrorTexts.NotInteger);
        }

        if (bit is not (0 or 1))
        {
            return Reply.Error(BitArgumentError);
        }

        var entry = keys.FindLive(args[0], now);
        if (entry is null)
        {
            return Reply.Integer(bit == 1 ? -1 : 0);
        }

        if (entry.Value is not StringValue s)
        {
            return TypedEntry.WrongType;
        }

        var value = s.Span;
        long start = 0;
        long end = value.Length - 1;
        var inBits = false;
        var endGiven = args.Length >= 4;
        if (args.Length > 5)
        {
            return Reply.Error(ErrorTexts.Syntax);
        }

        if (args.Length >= 3)
        {
            if (!RedisIntegers.TryParse(args[2], out start))
            {
                return Reply.Error(ErrorTexts.NotInteger);
            }

            if (!TryParseUnit(args, 4, out inBits))
            {
                return Reply.Error(ErrorTexts.Syntax);
            }

            if (endGiven && !RedisIntegers.TryParse(args[3], out end))
            {
                return Reply.Error(ErrorTexts.NotInteger);
            }
        }

        if (!ClampRange(value.Length, inBits, start, end, out var firstBit, out var lastBit))
        {
            return Reply.Integer(-1);
        }

        var found = FindBit(value, firstBit, lastBit, (int)bit);
        if (found >= 0)
        {
            return Reply.Integer(found);
        }

        // Past the end of a string without an explicit end, the bits are taken as zero padding.
        return Reply.Integer(bit == 0 && !endGiven ? lastBit + 1 : -1);
    }

    /// <summary>The operation name and NOT's single source, checked before any key is read.</summary>
    public static Reply? ValidateBitOp(byte[][] args)
    {
        if (!TryParseOperation(args[0], out var operation))
        {
            return Reply.Error(ErrorTexts.Syntax);
        }

        return operation == Operation.Not && args.Length != 3 ? Reply.Error(BitopNotSingleKey) : null;
    }

    /// <summary>BITOP op dest src...: stores the result (raw, no TTL) or deletes dest when every source is empty.</summary>
    public static Reply BitOp(KeyTable keys, byte[][] args, long now)
    {
        TryParseOperation(args[0], out var operation);
        var sources = new byte[args.Length - 2][];
        var maxLength = 0;
        for (var i = 0; i < sources.Length; i++)
        {
            var entry = keys.FindLive(args[i + 2], now);
            if (entry is not null && entry.Value is not StringValue)
            {
                return TypedEntry.WrongType;
            }

            sources[i] = entry?.Value is StringValue s ? s.Bytes : [];
            maxLength = Math.Max(maxLength, sources[i].Length);
        }

        keys.FindForWrite(args[1], now);
        if (maxLength == 0)
        {
            if (keys.Remove(args[1]))
            {
                keys.Notify(KeyspaceEvents.Generic, "del", args[1]);
            }

            return Reply.Zero;
        }

        var result = new byte[maxLength];
        sources[0].CopyTo(result, 0);
        if (operation == Operation.Not)
        {
            for (var j = 0; j < result.Length; j++)
            {
                result[j] = (byte)~result[j];
            }
        }

        for (var i = 1; i < sources.Length; i++)
        {
            var source = sources[i];
            for (var j = 0; j < result.Length; j++)
            {
                var b = j < source.Length ? source[j] : (byte)0;
                result[j] = operation switch
                {
                    Operation.And => (byte)(result[j] & b),
                    Operation.Or => (byte)(result[j] | b),
                    _ => (byte)(result[j] ^ b),
                };
            }
        }

        keys.Put(args[1], StringValue.Of(result, StringEncoding.Raw), KeyEntry.NoExpiry);
        keys.Notify(KeyspaceEvents.String, "set", args[1]);
        return Reply.Integer(maxLength);
    }

    private static bool TryParseUnit(byte[][] args, int index, out bool inBits)
    {
        inBits = false;
        if (args.Length <= index)
        {
            return true;
        }

        inBits = Keyword.Is(args[index], "bit"u8);
        return inBits || Keyword.Is(args[index], "byte"u8);
    }

    /// <summary>
    /// Turns a start/end pair (negative from the end, in bytes or bits) into an inclusive bit range inside a string of
    /// <paramref name="length"/> bytes, as BITCOUNT and BITPOS clamp it; false when the range is empty.
    /// </summary>
    private static bool ClampRange(long length, bool inBits, long start, long end, out long firstBit, out long lastBit)
    {
        var total = inBits ? length << 3 : length;
        start = start < 0 ? Math.Max(total + start, 0) : start;
        end = end < 0 ? Math.Max(total + end, 0) : end;
        end = Math.Min(end, total - 1);
        firstBit = inBits ? start : start << 3;
        lastBit = inBits ? end : (end << 3) + 7;
        return start <= end;
    }

    private static long PopCount(ReadOnlySpan<byte> bytes)
    {
        long count = 0;
        var words = MemoryMarshal.Cast<byte, ulong>(bytes);
        foreach (var word in words)
        {
            count += BitOperations.PopCount(word);
        }

        foreach (var b in bytes[(words.Length * 8)..])
        {
            count += BitOperations.PopCount(b);
        }

        return count;
    }

    private static long CountBits(ReadOnlySpan<byte> value, long firstBit, long lastBit)
    {
        var firstByte = (int)(firstBit >> 3);
        var lastByte = (int)(lastBit >> 3);
        var count = PopCount(value[firstByte..(lastByte + 1)]);
        count -= BitOperations.PopCount((uint)(value[firstByte] & ~(0xFF >> (int)(firstBit & 7)) & 0xFF));
        count -= BitOperations.PopCount((uint)(value[lastByte] & ((1 << (7 - (int)(lastBit & 7))) - 1)));
        return count;
    }

    /// <summary>The first bit equal to <paramref name="bit"/> in [first, last], or -1.</summary>
    private static long FindBit(ReadOnlySpan<byte> value, long first, long last, int bit)
    {
        var uninteresting = bit == 1 ? (byte)0 : (byte)0xFF;
        var position = first;
        while (position <= last)
        {
            if ((position & 7) == 0 && position + 7 <= last)
            {
                var from = (int)(position >> 3);
                var to = (int)((last + 1) >> 3);
                var skip = value[from..to].IndexOfAnyExcept(uninteresting);
                if (skip < 0)
                {
                    position = (long)to << 3;
                    continue;
                }

                position = (long)(from + skip) << 3;
            }

            if (((value[(int)(position >> 3)] >> (7 - (int)(position & 7))) & 1) == bit)
            {
                return position;
            }

            position++;
        }

        return -1;
    }

    private static bool TryParseOperation(byte[] name, out Operation operation)
    {
        operation = Keyword.Is(name, "and"u8) ? Operation.And
            : Keyword.Is(name, "or"u8) ? Operation.Or
            : Keyword.Is(name, "xor"u8) ? Operation.Xor
            : Keyword.Is(name, "not"u8) ? Operation.Not
            : (Operation)(-1);
        return operation >= 0;
    }

    private enum Operation
    {
        And,
        Or,
        Xor,
        Not,
    }
}
