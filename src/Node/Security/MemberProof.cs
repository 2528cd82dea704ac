using System.Security.Cryptography;
using System.Text;

namespace RaftKV.Node.Security;

/// <summary>
/// How a node proves it is a cluster member outside Raft: an HMAC-SHA256, keyed by the replicated cluster secret, over
/// what it asks for (the nonce a leader handed out for the forwarding handshake, the name of a snapshot file), in lower
/// case hex. The secret itself never travels; a proof is checked in constant time.
/// </summary>
internal static class MemberProof
{
    /// <summary>Hex digits in a proof (HMAC-SHA256).</summary>
    public const int Length = 2 * HMACSHA256.HashSizeInBytes;

    /// <summary>The proof for the forwarding handshake on a connection that was given <paramref name="nonce"/>.</summary>
    public static string ForForwarding(byte[] secret, string nonce) => Compute(secret, "raftkv-forward:" + nonce);

    /// <summary>The proof that authorizes downloading the snapshot file <paramref name="name"/>.</summary>
    public static string ForSnapshot(byte[] secret, string name) => Compute(secret, "raftkv-snapshot:" + name);

    /// <summary>The proof that opens a Raft connection to a member that handed out <paramref name="nonce"/> (MemberOnlyTransport).</summary>
    public static string ForRaft(byte[] secret, string nonce) => Compute(secret, "raftkv-raft:" + nonce);

    /// <summary>Hex digits in a nonce (<see cref="NewNonce"/>).</summary>
    public const int NonceLength = 32;

    /// <summary>A fresh nonce for one handshake: 16 random bytes in hex.</summary>
    public static string NewNonce() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(NonceLength / 2));

    /// <summary>True when <paramref name="presented"/> is <paramref name="expected"/>, compared in constant time.</summary>
    public static bool Matches(string expected, ReadOnlySpan<byte> presented)
    {
        Span<byte> expectedBytes = stackalloc byte[Length];
        return expected.Length == Length && presented.Length == Length
               && Encoding.ASCII.GetBytes(expected, expectedBytes) == Length
               && CryptographicOperations.FixedTimeEquals(expectedBytes, presented);
    }

    private static string Compute(byte[] secret, string message) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(message)));
}
