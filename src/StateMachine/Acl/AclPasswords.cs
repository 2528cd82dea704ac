using System.Security.Cryptography;
using System.Text;

namespace RaftKV.StateMachine.Acl;

/// <summary>Passwords as Redis stores them: the SHA-256 of the password bytes, as 64 lowercase hex digits.</summary>
public static class AclPasswords
{
    public static string Hash(ReadOnlySpan<byte> password) => Convert.ToHexStringLower(SHA256.HashData(password));

    /// <summary>The hash of a password given as a rule's text (Latin-1: one char per byte).</summary>
    public static string Hash(string password) => Hash(Encoding.Latin1.GetBytes(password));

    /// <summary>64 characters, each 0-9 or a-f (Redis's ACLCheckPasswordHash).</summary>
    public static bool IsValidHash(ReadOnlySpan<char> hash)
    {
        if (hash.Length != 64)
            return false;
        foreach (var c in hash)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
                return false;
        }

        return true;
    }

    /// <summary>Compares two hashes in time independent of where they differ.</summary>
    public static bool HashesEqual(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}
