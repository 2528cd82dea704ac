using System.Security.Cryptography;
using RaftKV.StateMachine.Locks;

namespace RaftKV.StateMachine.Digests;

/// <summary>
/// The lock table's share of DEBUG DIGEST: a SHA-1 per lock over its name, owner, token, lease end and ttl, and one
/// over the last token granted, all XORed into the keyspace digest. Each input opens with the length -1, which no
/// key's input can (a key's opens with its length), so a lock never cancels a key. A table that never granted a
/// lock adds nothing, so digests of lock-free states are the keyspace digests they always were.
/// </summary>
internal static class LockDigest
{
    public static void XorInto(LockTable locks, byte[] digest)
    {
        if (locks.LastToken == 0 && locks.Count == 0)
        {
            return;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        var writer = new HashingWriter(hash);
        Span<byte> part = stackalloc byte[KeyspaceDigest.Length];
        writer.WriteInt32(-1);
        writer.WriteBytes("last-token"u8);
        writer.WriteInt64(locks.LastToken);
        Xor(hash, part, digest);
        foreach (var entry in locks.InOrder())
        {
            writer.WriteInt32(-1);
            writer.WriteBytes("lock"u8);
            writer.WriteString(entry.Name);
            writer.WriteString(entry.Owner);
            writer.WriteInt64(entry.Token);
            writer.WriteInt64(entry.ExpireAtMs);
            writer.WriteInt64(entry.TtlMs);
            Xor(hash, part, digest);
        }
    }

    private static void Xor(IncrementalHash hash, Span<byte> part, byte[] digest)
    {
        hash.GetHashAndReset(part);
        for (var i = 0; i < part.Length; i++)
        {
            digest[i] ^= part[i];
        }
    }
}
