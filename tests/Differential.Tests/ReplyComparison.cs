using System.Text;
using RaftKV.Differential.Tests.Infrastructure;

namespace RaftKV.Differential.Tests;

/// <summary>
/// Decides whether two replies to the same command agree. Exact, except where Redis leaves the order
/// unspecified (members of sets and hashes, KEYS, SORT BY) and where the answer is random (SPOP,
/// SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, RANDOMKEY: shape and count only), and SCAN cursors on large
/// collections (which differ by design; whole-collection replies with cursor 0 compare as sets), and
/// remaining or absolute times of keys with relative expiries (the two servers' clocks, and the moments
/// the command reaches each, differ by a little: up to two seconds either way is agreement).
/// </summary>
internal static class ReplyComparison
{
    private static readonly HashSet<string> Unordered = new(StringComparer.OrdinalIgnoreCase)
    {
        "SMEMBERS", "HKEYS", "HVALS", "SUNION", "SINTER", "SDIFF", "KEYS",
    };

    private static readonly HashSet<string> Random = new(StringComparer.OrdinalIgnoreCase)
    {
        "SPOP", "SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER", "RANDOMKEY",
    };

    public static bool Agree(byte[][] command, RespValue expected, RespValue actual)
    {
        var name = Encoding.UTF8.GetString(command[0]);
        if (expected.IsError || actual.IsError || expected.Type != actual.Type)
        {
            return expected.Render() == actual.Render();
        }

        if (TimeTolerance(name) is { } tolerance && expected.Type == ':')
        {
            return expected.Integer < 0 || actual.Integer < 0
                ? expected.Integer == actual.Integer
                : Math.Abs(expected.Integer - actual.Integer) <= tolerance;
        }

        if (Random.Contains(name))
        {
            return expected.IsNull == actual.IsNull && (expected.Items?.Count ?? -1) == (actual.Items?.Count ?? -1);
        }

        if (name.Equals("HGETALL", StringComparison.OrdinalIgnoreCase))
        {
            return Pairs(expected) == Pairs(actual);
        }

        if (Unordered.Contains(name) || (name.StartsWith("SORT", StringComparison.OrdinalIgnoreCase) && command.Any(a => Encoding.UTF8.GetString(a).Equals("BY", StringComparison.OrdinalIgnoreCase))))
        {
            return Sorted(expected) == Sorted(actual);
        }

        if (name.EndsWith("SCAN", StringComparison.OrdinalIgnoreCase) && expected.Items is [var cursor, var elements] && actual.Items is [var otherCursor, var otherElements])
        {
            if (cursor.Render() != "\"0\"" || otherCursor.Render() != "\"0\"")
            {
                return true;
            }

            return name.Equals("SSCAN", StringComparison.OrdinalIgnoreCase)
                ? Sorted(elements) == Sorted(otherElements)
                : Pairs(elements) == Pairs(otherElements);
        }

        return expected.Render() == actual.Render();
    }

    private static long? TimeTolerance(string name) =>
        name.Equals("TTL", StringComparison.OrdinalIgnoreCase) || name.Equals("EXPIRETIME", StringComparison.OrdinalIgnoreCase) ? 2
        : name.Equals("PTTL", StringComparison.OrdinalIgnoreCase) || name.Equals("PEXPIRETIME", StringComparison.OrdinalIgnoreCase) ? 2000
        : null;

    private static string Sorted(RespValue value) =>
        value.Items is null ? value.Render() : string.Join(", ", value.Items.Select(i => i.Render()).Order(StringComparer.Ordinal));

    private static string Pairs(RespValue value)
    {
        if (value.Items is null)
        {
            return value.Render();
        }

        var pairs = new List<string>();
        for (var i = 0; i + 1 < value.Items.Count; i += 2)
        {
            pairs.Add(value.Items[i].Render() + "=" + value.Items[i + 1].Render());
        }

        return string.Join(", ", pairs.Order(StringComparer.Ordinal));
    }
}
