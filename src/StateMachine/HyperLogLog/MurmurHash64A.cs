using System.Buffers.Binary;

namespace RaftKV.StateMachine.HyperLogLog;

/// <summary>
/// Austin Appleby's MurmurHash64A, the hash Redis's HyperLogLog uses (with seed 0xadc83b19), reading 8-byte blocks as
/// little-endian words whatever the machine's byte order, so that every replica and redis-server agree on registers.
/// </summary>
internal static class MurmurHash64A
{
    public static ulong Hash(ReadOnlySpan<byte> data, uint seed)
    {
        const ulong m = 0xc6a4a7935bd1e995UL;
        const int r = 47;
        unchecked
        {
            var h = seed ^ ((ulong)data.Length * m);
            var blocks = data.Length & ~7;
            for (var i = 0; i < blocks; i += 8)
            {
                var k = BinaryPrimitives.ReadUInt64LittleEndian(data[i..]);
                k *= m;
                k ^= k >> r;
                k *= m;
                h ^= k;
                h *= m;
            }

            var tail = data[blocks..];
            if (tail.Length > 0)
            {
                for (var i = tail.Length - 1; i >= 0; i--)
                {
                    h ^= (ulong)tail[i] << (8 * i);
                }

                h *= m;
            }

            h ^= h >> r;
            h *= m;
            h ^= h >> r;
            return h;
        }
    }
}
