using System.Globalization;

namespace RaftKV.Integration.Tests.Infrastructure;

/// <summary>One field of an INFO reply (its <c>name:value</c> lines), as the tests read it.</summary>
internal static class InfoFields
{
    /// <summary>The value of <paramref name="name"/>; null when there is no reply or no such line.</summary>
    public static string? Value(string? info, string name) =>
        info?.Split('\n').Select(static line => line.TrimEnd('\r'))
            .FirstOrDefault(line => line.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..];

    /// <summary>The integer value of <paramref name="name"/>; throws when the reply has no such line.</summary>
    public static long Long(string? info, string name) =>
        long.Parse(Value(info, name) ?? throw new InvalidOperationException($"INFO has no {name}: {info}"), CultureInfo.InvariantCulture);
}
