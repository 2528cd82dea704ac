using System.Buffers;

namespace RaftKV.StateMachine.Snapshots;

/// <summary>
/// The bytes of a snapshot between <see cref="IncrementalSnapshot.Advance"/> (under the apply lock) and
/// <see cref="IncrementalSnapshot.Drain"/> (outside it), in chunks from the shared array pool that go back to it as
/// they are drained: slice after slice and snapshot after snapshot reuse the same arrays, below the large object heap.
/// A MemoryStream here grew by doubling to the largest slice, on the large object heap, in every snapshot (about
/// 8 MB at 1 GB), garbage that counts towards a full collection. Write-only; not thread-safe.
/// </summary>
internal sealed class PendingBytes : Stream
{
    private const int ChunkSize = SnapshotLayout.ChunkSize;

    private readonly List<byte[]> _chunks = [];
    private int _lastCount = ChunkSize;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            if (_lastCount == ChunkSize)
            {
                _chunks.Add(ArrayPool<byte>.Shared.Rent(ChunkSize));
                _lastCount = 0;
            }

            var take = Math.Min(buffer.Length, ChunkSize - _lastCount);
            buffer[..take].CopyTo(_chunks[^1].AsSpan(_lastCount));
            _lastCount += take;
            buffer = buffer[take..];
        }
    }

    /// <summary>Writes everything held to <paramref name="destination"/>, then gives the chunks back to the pool.</summary>
    public void DrainTo(Stream destination)
    {
        // All written before any is given back: a chunk is never returned twice, even if a write throws halfway.
        for (var i = 0; i < _chunks.Count; i++)
        {
            destination.Write(_chunks[i], 0, i == _chunks.Count - 1 ? _lastCount : ChunkSize);
        }

        foreach (var chunk in _chunks)
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        _chunks.Clear();
        _lastCount = ChunkSize;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
