using System.Collections.Frozen;
using System.Text;

namespace RaftKV.Protocol.Commands;

/// <summary>Redis's command flags as COMMAND INFO reports them (those Redis hides there are not kept).</summary>
[Flags]
public enum RedisCommandFlags
{
    None = 0,
    Write = 1 << 0,
    Readonly = 1 << 1,
    Denyoom = 1 << 2,
    Module = 1 << 3,
    Admin = 1 << 4,
    Pubsub = 1 << 5,
    Noscript = 1 << 6,
    Blocking = 1 << 7,
    Loading = 1 << 8,
    Stale = 1 << 9,
    SkipMonitor = 1 << 10,
    SkipSlowlog = 1 << 11,
    Asking = 1 << 12,
    Fast = 1 << 13,
    NoAuth = 1 << 14,
    NoMandatoryKeys = 1 << 15,
    NoAsyncLoading = 1 << 16,
    NoMulti = 1 << 17,
    AllowBusy = 1 << 18,
}

/// <summary>A key spec's flags (Redis's CMD_KEY_*): how a command uses the keys the spec finds.</summary>
[Flags]
public enum KeySpecFlags
{
    None = 0,
    RO = 1 << 0,
    RW = 1 << 1,
    OW = 1 << 2,
    RM = 1 << 3,
    Access = 1 << 4,
    Update = 1 << 5,
    Insert = 1 << 6,
    Delete = 1 << 7,
    NotKey = 1 << 8,
    Incomplete = 1 << 9,
    VariableFlags = 1 << 10,
}

/// <summary>Where a key spec's search starts: at an argument index, after a keyword, or unknown (a key function finds it).</summary>
public sealed record BeginSearch(string Type, int Index, string? Keyword, int StartFrom)
{
    public static BeginSearch Unknown { get; } = new("unknown", 0, null, 0);

    public static BeginSearch AtIndex(int index) => new("index", index, null, 0);

    /// <summary>After <paramref name="keyword"/>, searched from argument <paramref name="startFrom"/> on (negative: backwards from the end).</summary>
    public static BeginSearch AfterKeyword(string keyword, int startFrom) => new("keyword", 0, keyword, startFrom);
}

/// <summary>
/// How a key spec finds its keys from where the search began: a range (last key relative to the first, or from the end
/// when negative; a step; with last key -1, limit > 1 takes that fraction of the rest), a count argument, or unknown.
/// </summary>
public sealed record FindKeys(string Type, int LastKey, int KeyStep, int Limit, int KeyNumIndex, int FirstKey)
{
    public static FindKeys Unknown { get; } = new("unknown", 0, 0, 0, 0, 0);

    public static FindKeys InRange(int lastKey, int keyStep, int limit) => new("range", lastKey, keyStep, limit, 0, 0);

    public static FindKeys ByKeyCount(int keyNumIndex, int firstKey, int keyStep) => new("keynum", 0, keyStep, 0, keyNumIndex, firstKey);
}

/// <summary>One key spec: its flags, where its search begins, how it finds the keys, and Redis's note on it if any.</summary>
public sealed record KeySpec(KeySpecFlags Flags, BeginSearch Begin, FindKeys Find, string? Notes = null);

/// <summary>What Redis 7.0.15's COMMAND reports of one command or subcommand beyond its arity and categories.</summary>
public sealed record RedisCommandIntrospection(string FullName, RedisCommandFlags Flags, IReadOnlyList<string> Tips,
    IReadOnlyList<KeySpec> KeySpecs, bool HasKeyFunction = false)
{
    /// <summary>
    /// COMMAND INFO's first key, last key and step, and whether the keys are movable, derived from the key specs as
    /// Redis does: range specs from an index with step 1, each starting right after the previous one, are glued into one
    /// range; any other spec (or an incomplete one) makes the keys movable.
    /// </summary>
    public (int First, int Last, int Step, bool Movable) LegacyRange { get; } = ComputeLegacyRange(KeySpecs);

    private static (int, int, int, bool) ComputeLegacyRange(IReadOnlyList<KeySpec> specs)
    {
        if (specs.Count == 0)
            return (0, 0, 0, false);
        if (specs.Count == 1 && specs[0].Begin.Type == "index" && specs[0].Find.Type == "range")
        {
            var only = specs[0];
            var last = only.Find.LastKey >= 0 ? only.Begin.Index + only.Find.LastKey : only.Find.LastKey;
            return (only.Begin.Index, last, only.Find.KeyStep, (only.Flags & KeySpecFlags.Incomplete) != 0);
        }

        var movable = false;
        int first = int.MaxValue, lastKey = 0, previousLast = 0;
        foreach (var spec in specs)
        {
            if (spec.Begin.Type != "index" || spec.Find.Type != "range"
                || spec.Find.KeyStep != 1 || (previousLast != 0 && previousLast != spec.Begin.Index - 1))
            {
                movable = true;
                continue;
            }

            movable |= (spec.Flags & KeySpecFlags.Incomplete) != 0;
            first = Math.Min(first, spec.Begin.Index);
            var absolute = spec.Find.LastKey >= 0 ? spec.Begin.Index + spec.Find.LastKey : spec.Find.LastKey;
            // Compared as unsigned, as Redis does: a last key counted from the end (negative) wins over any index.
            lastKey = (uint)absolute > (uint)lastKey ? absolute : lastKey;
            previousLast = lastKey;
        }

        return first == int.MaxValue ? (0, 0, 0, true) : (first, lastKey, 1, movable);
    }
}

/// <summary>
/// Redis 7.0.15's command introspection data (flags, tips, key specs; generated by scripts/gen-acl-catalog.py from
/// Redis's command JSON files), and the key-spec search COMMAND GETKEYS runs over a request.
/// </summary>
public static partial class CommandIntrospection
{
    private static readonly string[] FlagNames =
    [
        "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking", "loading", "stale",
        "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth", "no_mandatory_keys", "no_async_loading", "no_multi",
        "allow_busy",
    ];

    private static readonly string[] KeyFlagNames =
        ["RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags"];

    private static readonly FrozenDictionary<string, RedisCommandIntrospection> ByName;

#pragma warning disable CA1810 // Built after the generated data of the other part, whose initializer runs in an unspecified order.
    static CommandIntrospection()
#pragma warning restore CA1810
    {
        ByName = RedisCommands.ToFrozenDictionary(static c => c.FullName, StringComparer.Ordinal);
    }

    /// <summary>A Redis command or subcommand (container|sub) by full name in lower case; null when Redis has none.</summary>
    public static RedisCommandIntrospection? Find(string fullName) => ByName.GetValueOrDefault(fullName);

    /// <summary>COMMAND INFO's flag names for <paramref name="command"/>, in Redis's order (movablekeys included).</summary>
    public static IReadOnlyList<string> DescribeFlags(RedisCommandIntrospection command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var names = new List<string>();
        for (var i = 0; i < FlagNames.Length; i++)
        {
            if (i == FlagNames.Length - 1 && command.LegacyRange.Movable)
                names.Add("movablekeys");
            if (((int)command.Flags & (1 << i)) != 0)
                names.Add(FlagNames[i]);
        }

        return names;
    }

    /// <summary>The names of a key spec's flags, in Redis's order.</summary>
    public static IReadOnlyList<string> DescribeKeyFlags(KeySpecFlags flags)
    {
        var names = new List<string>();
        for (var i = 0; i < KeyFlagNames.Length; i++)
        {
            if (((int)flags & (1 << i)) != 0)
                names.Add(KeyFlagNames[i]);
        }

        return names;
    }

    /// <summary>
    /// The keys of <paramref name="request"/> (argument 0 is the command name; for a subcommand, the request from the
    /// container's name on) found by <paramref name="command"/>'s key specs, each with its spec's flags, as Redis's
    /// key-spec search finds them: specs flagged not_key are skipped, a keyword not found skips its spec. Null when a
    /// spec cannot be followed (unknown, incomplete, a count that is not a number, a range past the arguments): then
    /// Redis falls back to the command's key function.
    /// </summary>
    public static List<(int Position, KeySpecFlags Flags)>? SearchKeys(RedisCommandIntrospection command, IReadOnlyList<byte[]> request)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(request);
        var count = request.Count;
        var keys = new List<(int, KeySpecFlags)>();
        foreach (var spec in command.KeySpecs)
        {
            if ((spec.Flags & KeySpecFlags.NotKey) != 0)
                continue;
            int first;
            if (spec.Begin.Type == "index")
                first = spec.Begin.Index;
            else if (spec.Begin.Type == "keyword")
            {
                first = FindKeyword(spec.Begin, request);
                if (first == 0)
                    continue;
            }
            else
                return null;

            int last, step;
            if (spec.Find.Type == "range")
            {
                step = spec.Find.KeyStep;
                if (spec.Find.LastKey >= 0)
                    last = first + spec.Find.LastKey;
                else if (spec.Find.Limit == 0)
                    last = count + spec.Find.LastKey;
                else
                    last = first + ((count - first) / spec.Find.Limit + spec.Find.LastKey);
            }
            else if (spec.Find.Type == "keynum")
            {
                step = spec.Find.KeyStep;
                var at = first + spec.Find.KeyNumIndex;
                if (at >= count || !TryParseCount(request[at], out var numKeys))
                    return null;
                first += spec.Find.FirstKey;
                last = first + numKeys - 1;
            }
            else
                return null;

            if (last >= count || last < first || first >= count || step <= 0)
                return null;
            for (var i = first; i <= last; i += step)
                keys.Add((i, spec.Flags));
            if ((spec.Flags & KeySpecFlags.Incomplete) != 0)
                return null;
        }

        return keys;
    }

    // The argument after the keyword, searching forwards from startfrom or backwards from the end; 0 when absent.
    private static int FindKeyword(BeginSearch begin, IReadOnlyList<byte[]> request)
    {
        var count = request.Count;
        var keyword = Encoding.ASCII.GetBytes(begin.Keyword!);
        if (begin.StartFrom > 0)
        {
            for (var i = begin.StartFrom; i < count - 1; i++)
            {
                if (Ascii.EqualsIgnoreCase(request[i], keyword))
                    return i + 1;
            }
        }
        else
        {
            for (var i = count + begin.StartFrom; i > 1 && i < count; i--)
            {
                if (Ascii.EqualsIgnoreCase(request[i], keyword))
                    return i + 1;
            }
        }

        return 0;
    }

    private static bool TryParseCount(byte[] argument, out int count)
    {
        count = 0;
        // As Redis's string2ll: digits only, no sign, no leading zero.
        if (argument.Length is 0 or > 10 || (argument[0] == '0' && argument.Length > 1))
            return false;
        long value = 0;
        foreach (var b in argument)
        {
            if (b is < (byte)'0' or > (byte)'9')
                return false;
            value = value * 10 + (b - '0');
        }

        if (value > int.MaxValue)
            return false;
        count = (int)value;
        return true;
    }
}
