using System.Buffers.Binary;
using RaftKV.Protocol.Resp;
using RaftKV.StateMachine.Numbers;

namespace RaftKV.StateMachine.Rdb;

/// <summary>A cursor over the payload body; every read checks the bytes left and throws <see cref="FormatException"/> past them.</summary>
internal ref struct RdbReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly int Remaining => _data.Length - _position;

    public bool TryReadByte(out byte value)
    {
        value = 0;
        if (Remaining < 1)
            return false;
        value = _data[_position++];
        return true;
    }

    /// <summary>A count of items that each take at least one byte: never more than the bytes left.</summary>
    public int ReadCount()
    {
        var length = ReadLength(out var encoded);
        if (encoded || length > (ulong)Remaining)
            throw new FormatException();
        return (int)length;
    }

    public byte[] ReadString()
    {
        var length = ReadLength(out var encoded);
        if (!encoded)
            return Take(length).ToArray();
        switch (length)
        {
            case 0:
                return RedisIntegers.Format((sbyte)Take(1)[0]);
            case 1:
                return RedisIntegers.Format(BinaryPrimitives.ReadInt16LittleEndian(Take(2)));
            case 2:
                return RedisIntegers.Format(BinaryPrimitives.ReadInt32LittleEndian(Take(4)));
            case 3:
                {
                    var compressed = ReadLength(out var e1);
                    var plain = ReadLength(out var e2);
                    if (e1 || e2)
                        throw new FormatException();
                    return Lzf.Decompress(Take(compressed), plain) ?? throw new FormatException();
                }

            default:
                throw new FormatException();
        }
    }

    /// <summary>RDB's millisecond times (rdbLoadMillisecondTime): 8 bytes, little endian.</summary>
    public long ReadMillisecondTime() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    /// <summary>A stream id in raw form, as stream radix-tree keys hold it: ms then seq, each 8 bytes big endian.</summary>
    public Values.Streams.StreamId ReadRawStreamId()
    {
        var raw = Take(16);
        return new(BinaryPrimitives.ReadUInt64BigEndian(raw), BinaryPrimitives.ReadUInt64BigEndian(raw[8..]));
    }

    public double ReadBinaryDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    /// <summary>RDB_TYPE_ZSET's scores: a length byte (253 NaN, 254 +inf, 255 -inf) and the score as text.</summary>
    public double ReadTextDouble()
    {
        var length = Take(1)[0];
        return length switch
        {
            253 => double.NaN,
            254 => double.PositiveInfinity,
            255 => double.NegativeInfinity,
            _ => RedisNumber.TryParseDouble(Take(length), out var score)
                ? score
                : throw new FormatException(),
        };
    }

    /// <summary>A plain length (RDB's rdbLoadLen); an encoded string marker is malformed here.</summary>
    public ulong ReadLength()
    {
        var length = ReadLength(out var encoded);
        return encoded ? throw new FormatException() : length;
    }

    private ulong ReadLength(out bool encoded)
    {
        encoded = false;
        var first = Take(1)[0];
        switch (first >> 6)
        {
            case 0:
                return (ulong)(first & 0x3F);
            case 1:
                return ((ulong)(first & 0x3F) << 8) | Take(1)[0];
            case 2 when first == 0x80:
                return BinaryPrimitives.ReadUInt32BigEndian(Take(4));
            case 2 when first == 0x81:
                return BinaryPrimitives.ReadUInt64BigEndian(Take(8));
            case 3:
                encoded = true;
                return (ulong)(first & 0x3F);
            default:
                throw new FormatException();
        }
    }

    private ReadOnlySpan<byte> Take(ulong count)
    {
        if (count > (ulong)Remaining)
            throw new FormatException();
        var span = _data.Slice(_position, (int)count);
        _position += (int)count;
        return span;
    }
}
