using System.Collections.Frozen;
using System.Text;

namespace RaftKV.Protocol.Commands;

/// <summary>A command's full name as Redis reports it (CLIENT LIST's cmd=, INFO commandstats): lower case, container|subcommand.</summary>
public static class CommandNames
{
    // Commands whose second argument names a subcommand.
    private static readonly FrozenSet<string> Containers = new[]
    {
        "ACL", "CLIENT", "CLUSTER", "COMMAND", "CONFIG", "FUNCTION", "LATENCY", "MEMORY", "MODULE", "OBJECT", "PUBSUB",
        "SCRIPT", "SLOWLOG", "XGROUP", "XINFO",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    // The registry's names in lower case, made once each instead of once per command run.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> LowerNames = new(StringComparer.Ordinal);

    /// <summary>The full name of <paramref name="spec"/> called with <paramref name="args"/> (its name at index 0).</summary>
    public static string Full(CommandSpec spec, byte[][] args)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(args);
        var name = LowerNames.GetOrAdd(spec.Name, static n => n.ToLowerInvariant());
        // Only a word of letters, digits and dashes: the name reaches INFO commandstats and CLIENT LIST, which clients
        // parse line by line (an argument with CR LF in it must not add lines there).
        if (args.Length > 1 && Containers.Contains(spec.Name) && args[1].Length <= 32 && IsSubcommandWord(args[1]))
            name += "|" + Encoding.ASCII.GetString(args[1]).ToLowerInvariant();
        return name;
    }

    private static bool IsSubcommandWord(ReadOnlySpan<byte> word)
    {
        foreach (var b in word)
        {
            if (!char.IsAsciiLetterOrDigit((char)b) && b != (byte)'-' && b != (byte)'_')
                return false;
        }

        return word.Length > 0;
    }
}
