using System.Collections.Frozen;
using System.Text;

namespace RaftKV.Protocol.Commands;

/// <summary>
/// The commands ACL rules speak of: every Redis 7.0.15 command and subcommand (so that rules written for Redis are
/// accepted here, and ACL CAT and the rule descriptions count the same commands) and RaftKV's own. The order of
/// <see cref="All"/> is fixed (top-level commands in ordinal name order, each followed by its subcommands), and is the
/// order ACL CAT lists them and ACL GETUSER describes single-command rules in; Redis uses its hash-table order there.
/// </summary>
public static partial class AclCommandCatalog
{
    private const AclCategories Admin = AclCategories.Admin | AclCategories.Dangerous | AclCategories.Slow;

    /// <summary>
    /// RaftKV's own commands: backup, snapshots and membership are administration (RAFTKV.MEMBERS only reads, so not
    /// dangerous), locks are writes (the owner query a read); and
    /// SENTINEL, which Redis registers only in sentinel mode and RaftKV serves for leader discovery (Redis's categories).
    /// </summary>
    private static readonly AclCommandInfo[] RaftKvCommands =
    [
        new("sentinel", -2, Admin, AclKeyAccess.None),
        new("raftkv.backup", 2, Admin, AclKeyAccess.None),
        new("raftkv.snapshot", 1, Admin, AclKeyAccess.None),
        new("raftkv.members", 1, AclCategories.Admin | AclCategories.Slow, AclKeyAccess.None),
        new("raftkv.member.add", -2, Admin, AclKeyAccess.None),
        new("raftkv.member.remove", 2, Admin, AclKeyAccess.None),
        new("raftkv.leader.transfer", -1, Admin, AclKeyAccess.None),
        new("raftkv.lock.acquire", 4, AclCategories.Write | AclCategories.Fast, AclKeyAccess.Write),
        new("raftkv.lock.release", 3, AclCategories.Write | AclCategories.Fast, AclKeyAccess.Write),
        new("raftkv.lock.refresh", 4, AclCategories.Write | AclCategories.Fast, AclKeyAccess.Write),
        new("raftkv.lock.owner", 2, AclCategories.Read | AclCategories.Fast, AclKeyAccess.Read),
        new("raftkv.getrev", 2, AclCategories.Read | AclCategories.String | AclCategories.Fast, AclKeyAccess.Read),
        new("raftkv.kv.get", 2, AclCategories.Read | AclCategories.String | AclCategories.Fast, AclKeyAccess.Read),
        new("raftkv.kv.range", 4, AclCategories.Read | AclCategories.Keyspace | AclCategories.String | AclCategories.Slow, AclKeyAccess.Read),
        new("raftkv.kv.put", -3, AclCategories.Write | AclCategories.String | AclCategories.Slow, AclKeyAccess.Read | AclKeyAccess.Write),
        new("raftkv.kv.delete", -4, AclCategories.Write | AclCategories.Keyspace | AclCategories.Slow, AclKeyAccess.Read | AclKeyAccess.Write),
        new("raftkv.txn", -4, AclCategories.Write | AclCategories.Transaction | AclCategories.Slow, AclKeyAccess.Read | AclKeyAccess.Write),
    ];

    /// <summary>Category names in Redis's order (bit i of <see cref="AclCategories"/> is name i).</summary>
    public static IReadOnlyList<string> CategoryNames { get; } =
    [
        "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo",
        "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting",
    ];

    private static readonly FrozenDictionary<string, AclCommandInfo> ByName;

    /// <summary>Every command and subcommand, top-level commands in ordinal name order, each followed by its subcommands.</summary>
    public static IReadOnlyList<AclCommandInfo> All { get; }

#pragma warning disable CA1810 // The table is built in one pass over the generated data.
    static AclCommandCatalog()
#pragma warning restore CA1810
    {
        var byName = RedisCommands.Concat(RaftKvCommands).ToDictionary(static c => c.FullName, StringComparer.Ordinal);
        var ordered = new List<AclCommandInfo>(byName.Count);
        foreach (var top in byName.Values.Where(static c => !c.FullName.Contains('|', StringComparison.Ordinal))
                     .OrderBy(static c => c.FullName, StringComparer.Ordinal))
        {
            var subs = byName.Values.Where(c => c.FullName.StartsWith(top.FullName + "|", StringComparison.Ordinal))
                .OrderBy(static c => c.FullName, StringComparer.Ordinal).ToList();
            top.Subcommands = subs;
            top.Index = ordered.Count;
            ordered.Add(top);
            foreach (var sub in subs)
            {
                sub.Parent = top;
                sub.Index = ordered.Count;
                ordered.Add(sub);
            }
        }

        All = ordered;
        ByName = byName.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The categories of a command by its table name (a subcommand as container|sub); None when unknown.</summary>
    public static AclCategories CategoriesOf(string name) =>
        ByName.TryGetValue(name, out var info) ? info.Categories : AclCategories.None;

    /// <summary>A command or subcommand by full name, any case (<c>GET</c>, <c>config|set</c>).</summary>
    public static AclCommandInfo? Find(string fullName) =>
        ByName.TryGetValue(fullName.ToLowerInvariant(), out var info) ? info : null;

    /// <summary>
    /// The entry a request runs as: its subcommand's for a container command whose second argument names a known
    /// subcommand, else the command's own; null for a command not in the catalog.
    /// </summary>
    public static AclCommandInfo? Resolve(IReadOnlyList<byte[]> request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Count == 0 || request[0].Length > 64)
            return null;
        var command = Find(Encoding.UTF8.GetString(request[0]));
        if (command is null || command.Subcommands.Count == 0 || request.Count < 2 || request[1].Length > 64)
            return command;
        return Find(command.FullName + "|" + Encoding.UTF8.GetString(request[1])) ?? command;
    }

    /// <summary>
    /// The subcommand of <paramref name="container"/> (a catalog name) that <paramref name="name"/> names, compared as Redis
    /// compares command names (ASCII, any case); null when the container has no such subcommand.
    /// </summary>
    public static AclCommandInfo? FindSubcommand(string container, ReadOnlySpan<byte> name) =>
        name.Length is 0 or > 64 || !Ascii.IsValid(name) ? null : Find(container + "|" + Encoding.ASCII.GetString(name));

    /// <summary>
    /// The known subcommand <paramref name="fullName"/> (container|sub, as <see cref="CommandNames.Full"/> names a request)
    /// when its own arity refuses <paramref name="argumentCount"/> arguments (the container's name included); else null.
    /// Redis looks a subcommand up before it checks the count, so its arity error names container|sub.
    /// </summary>
    public static AclCommandInfo? SubcommandRefusing(string fullName, int argumentCount)
    {
        ArgumentNullException.ThrowIfNull(fullName);
        return fullName.Contains('|', StringComparison.Ordinal) && Find(fullName) is { } sub && !sub.AcceptsArgumentCount(argumentCount)
            ? sub
            : null;
    }

    /// <summary>A category by name, any case; None when there is no such category.</summary>
    public static AclCategories FindCategory(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        for (var i = 0; i < CategoryNames.Count; i++)
        {
            if (string.Equals(CategoryNames[i], name, StringComparison.OrdinalIgnoreCase))
                return (AclCategories)(1 << i);
        }

        return AclCategories.None;
    }

    /// <summary>The names of <paramref name="categories"/> in Redis's order, each with its '@' (COMMAND INFO).</summary>
    public static IEnumerable<string> Describe(AclCategories categories)
    {
        for (var i = 0; i < CategoryNames.Count; i++)
        {
            if (((int)categories & (1 << i)) != 0)
                yield return "@" + CategoryNames[i];
        }
    }
}
