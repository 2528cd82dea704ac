using System.Security.Cryptography;

namespace RaftKV.StateMachine.Scripting;

/// <summary>The lowercase hex SHA1 of a script body, as Redis names scripts (and redis.sha1hex answers).</summary>
internal static class Sha1Hex
{
    public static string Of(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA1.HashData(data));
}
