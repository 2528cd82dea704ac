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

    /// <summary>The full name of <paramref name="spec"/> called with <paramref name="args"/> (its name at index 0).</summary>
    public static string Full(CommandSpec spec, byte[][] args)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(args);
        // The registry's names are lower case already: ToLowerInvariant returns the same string then, allocating nothing.
        var name = spec.Name.ToLowerInvariant();
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
