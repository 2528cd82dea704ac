using System.Buffers.Binary;
using System.IO.Hashing;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Snapshots;

/// <summary>Buffers snapshot bytes into chunks, writes each chunk to the stream and into the running checksum.</summary>
internal sealed class SnapshotOutput(Stream stream) : CanonicalWriter
{
    private readonly byte[] _buffer = new byte[SnapshotLayout.ChunkSize];
    private readonly XxHash64 _checksum = new();
    private int _count;

    /// <summary>Bytes written so far, buffered or not (the checksum not counted).</summary>
    public long Written { get; private set; }

    public override void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Written += bytes.Length;
        while (!bytes.IsEmpty)
        {
            if (_count == _buffer.Length)
            {
                Flush();
            }

            var take = Math.Min(bytes.Length, _buffer.Length - _count);
            bytes[..take].CopyTo(_buffer.AsSpan(_count));
            _count += take;
            bytes = bytes[take..];
        }
    }

    /// <summary>Writes out what is buffered, then the checksum of everything written (not itself checksummed).</summary>
    public void Finish()
    {
        Flush();
        Span<byte> checksum = stackalloc byte[sizeof(ulong)];
        // Little-endian like every other integer in the format (GetCurrentHash would give big-endian bytes).
        BinaryPrimitives.WriteUInt64LittleEndian(checksum, _checksum.GetCurrentHashAsUInt64());
        stream.Write(checksum);
        stream.Flush();
    }

    private void Flush()
    {
        _checksum.Append(_buffer.AsSpan(0, _count));
        stream.Write(_buffer, 0, _count);
        _count = 0;
    }
}
