using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// BITFIELD and BITFIELD_RO with Redis 7.0 semantics: every subcommand is parsed (and any error answered) before the
/// key is looked at; a write grows the string with zero bytes up to the farthest bit it writes (creating the key even
/// when every write fails with OVERFLOW FAIL, as Redis does).
/// </summary>
internal static class BitfieldCommand
{
    public const string InvalidOverflow = "ERR Invalid OVERFLOW type specified";
    public const string ReadOnlyGetOnly = "ERR BITFIELD_RO only supports the GET subcommand";

    private enum OpCode
    {
        Get,
        Set,
        IncrBy,
    }

    private enum Overflow
    {
        Wrap,
        Sat,
        Fail,
    }

    /// <summary>Parses the subcommands; null when they are all valid (BITFIELD_RO: only GET).</summary>
    public static Reply? Validate(byte[][] args, bool readOnly) => TryParse(args, readOnly, out _, out var error) ? null : error;

    public static Reply Execute(KeyTable keys, byte[][] args, long now, bool readOnly)
    {
        if (!TryParse(args, readOnly, out var ops, out var error))
        {
            return error!;
        }

        var writes = ops.Exists(static op => op.Code != OpCode.Get);
        var entry = writes ? keys.FindForWrite(args[0], now) : keys.FindLive(args[0], now);
        if (entry is not null && entry.Value is not StringValue)
        {
            return TypedEntry.WrongType;
        }

        var stored = entry?.Value as StringValue;
        if (!writes)
        {
            var gets = new Reply[ops.Count];
            for (var i = 0; i < ops.Count; i++)
            {
                gets[i] = Reply.Integer(GetField(stored, ops[i]));
            }

            return Reply.Array(gets);
        }

        long highestBit = 0;
        foreach (var op in ops)
        {
            if (op.Code != OpCode.Get)
            {
                highestBit = Math.Max(highestBit, op.Offset + op.Bits - 1);
            }
        }

        var length = Math.Max(stored?.Length ?? 0, (highestBit >> 3) + 1);
        if (length >= StringValue.PagedFrom)
        {
            return ExecutePaged(keys, args[0], entry, ops, length);
        }

        var old = stored is null ? [] : stored.Span;
        var value = new byte[length];
        old.CopyTo(value);
        var replies = new Reply[ops.Count];
        for (var i = 0; i < ops.Count; i++)
        {
            replies[i] = Apply(value, ops[i]);
        }

        // As in Redis, writes that change nothing leave the key unmodified (no new revision, WATCH unaffected).
        var changed = entry is null || !old.SequenceEqual(value);
        if (changed)
        {
            keys.Put(args[0], StringValue.Of(value, StringEncoding.Raw), entry?.ExpireAtMs ?? KeyEntry.NoExpiry);
        }

        NotifyIfWritten(keys, args[0], changed, ops, replies);
        return Reply.Array(replies);
    }

    /// <summary>
    /// Redis reports "setbit" (and counts a change) when a SET or INCRBY was carried out (not refused by OVERFLOW FAIL,
    /// which answers nil) and the string was created, grew or changed.
    /// </summary>
    private static void NotifyIfWritten(KeyTable keys, byte[] key, bool changed, List<Op> ops, Reply[] replies)
    {
        for (var i = 0; changed && i < ops.Count; i++)
        {
            if (ops[i].Code != OpCode.Get && replies[i] is not NullReply)
            {
                keys.Notify(KeyspaceEvents.String, "setbit", key);
                break;
            }
        }
    }

    /// <summary>
    /// The writes on a long string: each subcommand reads and writes the few bytes its field covers
    /// (<see cref="StringValue.Patched"/>), not a copy of the whole string.
    /// </summary>
    private static Reply ExecutePaged(KeyTable keys, byte[] key, KeyEntry? entry, List<Op> ops, long length)
    {
        var value = entry?.Value as StringValue;
        var changed = entry is null || value!.Length < length;
        if (value is null || value.Length < length)
        {
            // Grown with zero bytes up to the farthest bit written, even when every write then fails, as in Redis.
            value = StringValue.Patched(value, (int)length - 1, [0]);
        }

        var replies = new Reply[ops.Count];
        var window = new byte[9];
        var before = new byte[9];
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            if (op.Code == OpCode.Get)
            {
                replies[i] = Reply.Integer(GetField(value, op));
                continue;
            }

            // A write's field lies within the string, grown above to cover every write.
            var first = (int)(op.Offset >> 3);
            var bytes = (int)(((op.Offset + op.Bits - 1) >> 3) - first + 1);
            value.CopyTo(first, window.AsSpan(0, bytes));
            window.AsSpan(0, bytes).CopyTo(before);
            replies[i] = Apply(window, op with { Offset = op.Offset - (first * 8L) });
            if (!window.AsSpan(0, bytes).SequenceEqual(before.AsSpan(0, bytes)))
            {
                value = StringValue.Patched(value, first, window.AsSpan(0, bytes));
                changed = true;
            }
        }

        if (changed)
        {
            keys.Put(key, value, entry?.ExpireAtMs ?? KeyEntry.NoExpiry);
        }

        NotifyIfWritten(keys, key, changed, ops, replies);
        return Reply.Array(replies);
    }

    /// <summary>A GET read from the few bytes its field covers (zero past the end), not from the whole string.</summary>
    private static long GetField(StringValue? value, Op op)
    {
        var first = op.Offset >> 3;
        Span<byte> window = stackalloc byte[9];
        var bytes = (int)Math.Clamp((value?.Length ?? 0) - first, 0, ((op.Offset + op.Bits - 1) >> 3) - first + 1);
        if (bytes > 0)
        {
            value!.CopyTo((int)first, window[..bytes]);
        }

        return Get(window[..bytes], op with { Offset = op.Offset - (first * 8) });
    }

    private static long Get(ReadOnlySpan<byte> value, Op op) => op.Signed
        ? Signed(ReadBits(value, op.Offset, op.Bits), op.Bits)
        : (long)ReadBits(value, op.Offset, op.Bits);

    private static Reply Apply(byte[] value, Op op)
    {
        if (op.Code == OpCode.Get)
        {
            return Reply.Integer(Get(value, op));
        }

        var oldRaw = ReadBits(value, op.Offset, op.Bits);
        bool overflowed;
        ulong stored;
        long reply;
        if (op.Signed)
        {
            var old = Signed(oldRaw, op.Bits);
            var (delta, start) = op.Code == OpCode.IncrBy ? (op.Value, old) : (0L, op.Value);
            overflowed = BitfieldOverflow.Signed(start, delta, op.Bits, op.Overflow == Overflow.Sat, out var result);
            stored = (ulong)result;
            reply = op.Code == OpCode.IncrBy ? result : old;
        }
        else
        {
            var (delta, start) = op.Code == OpCode.IncrBy ? (op.Value, oldRaw) : (0L, (ulong)op.Value);
            overflowed = BitfieldOverflow.Unsigned(start, delta, op.Bits, op.Overflow == Overflow.Sat, out var result);
            stored = result;
            reply = op.Code == OpCode.IncrBy ? (long)result : (long)oldRaw;
        }

        if (overflowed && op.Overflow == Overflow.Fail)
        {
            return Reply.Null;
        }

        WriteBits(value, op.Offset, op.Bits, stored);
        return Reply.Integer(reply);
    }

    private static ulong ReadBits(ReadOnlySpan<byte> value, long offset, int bits)
    {
        ulong result = 0;
        for (var j = 0; j < bits; j++, offset++)
        {
            var index = offset >> 3;
            var bit = index < value.Length ? (value[(int)index] >> (7 - (int)(offset & 7))) & 1 : 0;
            result = (result << 1) | (uint)bit;
        }

        return result;
    }

    private static void WriteBits(byte[] value, long offset, int bits, ulong field)
    {
        for (var j = 0; j < bits; j++, offset++)
        {
            var mask = (byte)(1 << (7 - (int)(offset & 7)));
            var set = ((field >> (bits - 1 - j)) & 1) != 0;
            ref var b = ref value[(int)(offset >> 3)];
            b = set ? (byte)(b | mask) : (byte)(b & ~mask);
        }
    }

    private static long Signed(ulong raw, int bits) =>
        bits < 64 && (raw & (1UL << (bits - 1))) != 0 ? (long)(raw | (ulong.MaxValue << bits)) : (long)raw;

    private static bool TryParse(byte[][] args, bool readOnly, out List<Op> ops, out Reply? error)
    {
        ops = [];
        error = null;
        var overflow = Overflow.Wrap;
        for (var j = 1; j < args.Length; j++)
        {
            var remaining = args.Length - j - 1;
            var name = args[j];
            OpCode code;
            if (Keyword.Is(name, "get"u8) && remaining >= 2)
            {
                code = OpCode.Get;
            }
            else if (Keyword.Is(name, "set"u8) && remaining >= 3)
            {
                code = OpCode.Set;
            }
            else if (Keyword.Is(name, "incrby"u8) && remaining >= 3)
            {
                code = OpCode.IncrBy;
            }
            else if (Keyword.Is(name, "overflow"u8) && remaining >= 1)
            {
                j++;
                if (Keyword.Is(args[j], "wrap"u8))
                {
                    overflow = Overflow.Wrap;
                }
                else if (Keyword.Is(args[j], "sat"u8))
                {
                    overflow = Overflow.Sat;
                }
                else if (Keyword.Is(args[j], "fail"u8))
                {
                    overflow = Overflow.Fail;
                }
                else
                {
                    error = Reply.Error(InvalidOverflow);
                    return false;
                }

                continue;
            }
            else
            {
                error = Reply.Error(ErrorTexts.Syntax);
                return false;
            }

            if (!BitArguments.TryParseType(args[j + 1], out var signed, out var bits))
            {
                error = Reply.Error(BitArguments.BitfieldTypeError);
                return false;
            }

            if (!BitArguments.TryParseOffset(args[j + 2], bits, out var offset))
            {
                error = Reply.Error(BitArguments.OffsetError);
                return false;
            }

            long operand = 0;
            if (code != OpCode.Get && !RedisIntegers.TryParse(args[j + 3], out operand))
            {
                error = Reply.Error(ErrorTexts.NotInteger);
                return false;
            }

            ops.Add(new Op(code, offset, bits, signed, operand, overflow));
            j += code == OpCode.Get ? 2 : 3;
        }

        if (readOnly && ops.Exists(static op => op.Code != OpCode.Get))
        {
            error = Reply.Error(ReadOnlyGetOnly);
            return false;
        }

        return true;
    }

    private readonly record struct Op(OpCode Code, long Offset, int Bits, bool Signed, long Value, Overflow Overflow);
}
