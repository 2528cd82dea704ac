using System.Buffers.Binary;
using System.IO.Hashing;

namespace RaftKV.StateMachine.Snapshots;

/// <summary>
/// Reads a snapshot stream in chunks, checksumming every byte it hands out. Any shortfall is a
/// <see cref="SnapshotFormatException"/>. Lengths read from the stream are untrusted: large strings are
/// read piecewise, so a corrupted length fails on the missing bytes before a huge allocation.
/// </summary>
internal sealed class SnapshotInput(Stream stream)
{
    private readonly byte[] _buffer = new byte[SnapshotLayout.ChunkSize];
    private readonly XxHash64 _checksum = new();
    private int _position;
    private int _count;
    private long _consumed;

    public long Consumed => _consumed;

    public ulong CurrentChecksum => _checksum.GetCurrentHashAsUInt64();

    public void ReadExactly(Span<byte> destination, bool checksummed = true)
    {
        while (!destination.IsEmpty)
        {
            if (_position == _count && !Fill())
            {
                throw new SnapshotFormatException($"The snapshot is truncated: it ends after {_consumed} bytes.");
            }

            var take = Math.Min(destination.Length, _count - _position);
            var chunk = _buffer.AsSpan(_position, take);
            if (checksummed)
            {
                _checksum.Append(chunk);
            }

            chunk.CopyTo(destination);
            _position += take;
            _consumed += take;
            destination = destination[take..];
        }
    }

    public byte ReadByte()
    {
        Span<byte> value = stackalloc byte[1];
        ReadExactly(value);
        return value[0];
    }

    public int ReadInt32()
    {
        Span<byte> value = stackalloc byte[4];
        ReadExactly(value);
        return BinaryPrimitives.ReadInt32LittleEndian(value);
    }

    public long ReadInt64()
    {
        Span<byte> value = stackalloc byte[8];
        ReadExactly(value);
        return BinaryPrimitives.ReadInt64LittleEndian(value);
    }

    public double ReadDouble() => BitConverter.Int64BitsToDouble(ReadInt64());

    /// <summary>A length-prefixed byte string of at most <paramref name="maxLength"/> bytes.</summary>
    public byte[] ReadString(long maxLength)
    {
        var length = ReadCount("string length", maxLength);
        var result = new byte[Math.Min(length, SnapshotLayout.ChunkSize)];
        var filled = 0;
        while (filled < length)
        {
            if (filled == result.Length)
            {
                Array.Resize(ref result, (int)Math.Min((long)result.Length * 2, length));
            }

            var take = result.Length - filled;
            ReadExactly(result.AsSpan(filled, take));
            filled += take;
        }

        return result;
    }

    /// <summary>A non-negative i32 count or length no larger than <paramref name="max"/>.</summary>
    public int ReadCount(string what, long max)
    {
        var offset = _consumed;
        var value = ReadInt32();
        if (value < 0 || value > max)
        {
            throw new SnapshotFormatException($"The snapshot is corrupted: {what} {value} at byte {offset} is out of range.");
        }

        return value;
    }

    private bool Fill()
    {
        _position = 0;
        _count = stream.Read(_buffer, 0, _buffer.Length);
        return _count > 0;
    }
}
