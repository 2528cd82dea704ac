using System.Buffers.Binary;

namespace RaftKV.StateMachine.HyperLogLog;

/// <summary>
/// Redis's HyperLogLog string layout (hyperloglog.c): a 16-byte header, "HYLL", the encoding (0 dense, 1 sparse), three
/// unused zero bytes and the cached cardinality as 8 little-endian bytes whose top bit set means "stale"; then the
/// registers, dense (<see cref="HllDense"/>) or sparse (<see cref="HllSparse"/>). P = 14: 16384 registers of 6 bits.
/// </summary>
internal static class HllFormat
{
    public const int HeaderSize = 16;
    public const int P = 14;
    public const int Registers = 1 << P;
    public const int RegisterBits = 6;
    public const int RegisterMax = (1 << RegisterBits) - 1;
    public const int DenseSize = HeaderSize + ((Registers * RegisterBits) + 7) / 8;
    public const byte Dense = 0;
    public const byte Sparse = 1;

    /// <summary>Redis's default hll-sparse-max-bytes: a sparse HLL that would grow past it is made dense.</summary>
    public const int DefaultSparseMaxBytes = 3000;

    private const uint HashSeed = 0xadc83b19;
    private const int EncodingOffset = 4;
    private const int CardinalityOffset = 8;

    /// <summary>A new, empty HLL as Redis creates it: sparse, one XZERO opcode covering every register, cache 0 (valid).</summary>
    public static byte[] CreateEmpty()
    {
        var hll = new byte[HeaderSize + 2];
        "HYLL"u8.CopyTo(hll);
        hll[EncodingOffset] = Sparse;
        HllSparse.WriteXZero(hll.AsSpan(HeaderSize), Registers);
        return hll;
    }

    /// <summary>
    /// Redis's isHLLObjectOrReply test: long enough for a header, the magic, a known encoding, and exactly the dense size
    /// when dense. The sparse opcodes are checked only when they are read.
    /// </summary>
    public static bool HasValidHeader(ReadOnlySpan<byte> value) =>
        value.Length >= HeaderSize
        && value.StartsWith("HYLL"u8)
        && value[EncodingOffset] <= Sparse
        && (value[EncodingOffset] == Sparse || value.Length == DenseSize);

    public static bool IsSparse(ReadOnlySpan<byte> hll) => hll[EncodingOffset] == Sparse;

    public static void SetEncoding(Span<byte> hll, byte encoding) => hll[EncodingOffset] = encoding;

    public static void InvalidateCache(Span<byte> hll) => hll[CardinalityOffset + 7] |= 0x80;

    /// <summary>The cached cardinality, or false when the cache is marked stale.</summary>
    public static bool TryGetCachedCardinality(ReadOnlySpan<byte> hll, out ulong cardinality)
    {
        cardinality = BinaryPrimitives.ReadUInt64LittleEndian(hll[CardinalityOffset..]);
        return (hll[CardinalityOffset + 7] & 0x80) == 0;
    }

    /// <summary>
    /// The register an element goes to (the hash's low 14 bits) and the count to raise it to: the position of the first
    /// 1 bit in the remaining 50 bits, counting from 1 (51 when they are all zero).
    /// </summary>
    public static (int Index, int Count) Locate(ReadOnlySpan<byte> element)
    {
        var hash = MurmurHash64A.Hash(element, HashSeed);
        var index = (int)(hash & (Registers - 1));
        var rest = (hash >> P) | (1UL << (64 - P));
        return (index, System.Numerics.BitOperations.TrailingZeroCount(rest) + 1);
    }
}
