using System.Security.Cryptography;
using RaftKV.StateMachine.Keyspace;

namespace RaftKV.StateMachine.Digests;

/// <summary>
/// State digests in the manner of Redis's DEBUG DIGEST: a 20-byte SHA-1 per key over the key, its type,
/// its canonical value and its expiry, XORed together so that the result does not depend on the order
/// keys were inserted or are enumerated in. An empty keyspace digests to 20 zero bytes. Logically expired
/// keys that are still stored count, as in Redis: replicas hold the same stored keys.
/// </summary>
internal static class KeyspaceDigest
{
    public const int Length = 20;

    public static byte[] Compute(KeyTable keys)
    {
        var result = new byte[Length];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        var writer = new HashingWriter(hash);
        Span<byte> valueDigest = stackalloc byte[Length];
        Span<byte> keyDigest = stackalloc byte[Length];
        foreach (var entry in keys.InOrder())
        {
            WriteValueDigest(hash, writer, entry, valueDigest);
            writer.WriteString(entry.KeySpan);
            writer.WriteBytes(valueDigest);
            hash.GetHashAndReset(keyDigest);
            for (var i = 0; i < Length; i++)
            {
                result[i] ^= keyDigest[i];
            }
        }

        return result;
    }

    /// <summary>The digest of one key's value and expiry, as DEBUG DIGEST-VALUE; 20 zero bytes for a missing key.</summary>
    public static byte[] ComputeValue(KeyEntry? entry)
    {
        var result = new byte[Length];
        if (entry is not null)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            WriteValueDigest(hash, new HashingWriter(hash), entry, result);
        }

        return result;
    }

    private static void WriteValueDigest(IncrementalHash hash, HashingWriter writer, KeyEntry entry, Span<byte> destination)
    {
        writer.WriteByte((byte)entry.Value.Kind);
        entry.Value.WriteCanonical(writer);
        writer.WriteInt64(entry.ExpireAtMs);
        hash.GetHashAndReset(destination);
    }
}
