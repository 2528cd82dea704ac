using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RaftKV.Node.PubSub;

/// <summary>
/// Values of <see cref="HeldFrom"/> bytes or more are not copied into the ring: the record holds an 8-byte handle to the
/// value's own memory, which the keyspace never changes (a string value is immutable: a new value replaces it, and APPEND's
/// room after a value is written only past its end). Copying them cost each write of a large string twice its length
/// (the value and the previous value) on every node: 20,000 APPENDs of 1 KB onto one string took 305 s, 1.5 s on
/// redis-server. Handles are given out in record order and records are trimmed oldest first, so the held values are a
/// queue. A held value is counted at the array it keeps alive (Cost) whether or not the keyspace still holds it too.
/// </summary>
internal sealed partial class WatchHistory
{
    /// <summary>The shortest value held by reference instead of copied (one chunk).</summary>
    public const int HeldFrom = ChunkSize;

    private const int HandleLength = sizeof(long);

    private ReadOnlyMemory<byte>[] _held = new ReadOnlyMemory<byte>[16];
    private int _heldFirst;
    private int _heldCount;
    private long _heldFirstHandle;
    private long _heldBytes;

    private long HeldValueBytes =>
        _heldBytes + ArrayOverhead + (long)_held.Length * Unsafe.SizeOf<ReadOnlyMemory<byte>>();

    /// <summary>Queues <paramref name="value"/> and writes its handle into the ring.</summary>
    private void WriteHeld(ReadOnlyMemory<byte> value)
    {
        if (_heldCount == _held.Length)
        {
            var grown = new ReadOnlyMemory<byte>[_held.Length * 2];
            for (var i = 0; i < _heldCount; i++)
                grown[i] = _held[(_heldFirst + i) & (_held.Length - 1)];
            _held = grown;
            _heldFirst = 0;
        }

        Span<byte> handle = stackalloc byte[HandleLength];
        BinaryPrimitives.WriteInt64LittleEndian(handle, _heldFirstHandle + _heldCount);
        _held[(_heldFirst + _heldCount) & (_held.Length - 1)] = value;
        _heldCount++;
        _heldBytes += Cost(value);
        Write(handle);
    }

    /// <summary>The value whose handle is at <paramref name="position"/>.</summary>
    private ReadOnlyMemory<byte> ReadHeld(long position)
    {
        Span<byte> handle = stackalloc byte[HandleLength];
        CopyTo(position, handle);
        var index = BinaryPrimitives.ReadInt64LittleEndian(handle) - _heldFirstHandle;
        return _held[(int)((_heldFirst + index) & (_held.Length - 1))];
    }

    /// <summary>Lets go of the oldest held value (the oldest record's, as it is trimmed).</summary>
    private void ReleaseOldestHeld()
    {
        ref var oldest = ref _held[_heldFirst];
        _heldBytes -= Cost(oldest);
        oldest = default;
        _heldFirst = (_heldFirst + 1) & (_held.Length - 1);
        _heldCount--;
        _heldFirstHandle++;
    }

    // What holding a value keeps alive: its whole array (an APPENDed string's room included) when it has one; its
    // length otherwise (a paged string, whose whole copy, once a watcher made it, is not counted).
    private static long Cost(ReadOnlyMemory<byte> value) =>
        MemoryMarshal.TryGetArray(value, out var segment) && segment.Array is { } array ? array.Length : value.Length;

    private void ClearHeld()
    {
        Array.Clear(_held);
        _heldFirstHandle += _heldCount;
        (_heldFirst, _heldCount, _heldBytes) = (0, 0, 0);
        if (_held.Length > 16)
            _held = new ReadOnlyMemory<byte>[16];
    }
}
