namespace RaftKV.Protocol.Commands;

/// <summary>
/// One command or subcommand as ACL rules see it: its full name (<c>config|get</c> for a subcommand), Redis's arity, its
/// categories, what it does to its keys (the union over its key specs), and whether it runs before authentication
/// (AUTH, HELLO, QUIT, RESET: Redis's no-auth flag, which also lets them past every ACL rule).
/// </summary>
public sealed record AclCommandInfo(string FullName, int Arity, AclCategories Categories, AclKeyAccess KeyAccess, bool NoAuth = false)
{
    /// <summary>The position of this command in <see cref="AclCommandCatalog.All"/>: its bit in a user's command set.</summary>
    public int Index { get; internal set; }

    /// <summary>The container's entry for a subcommand; null for a top-level command.</summary>
    public AclCommandInfo? Parent { get; internal set; }

    /// <summary>The subcommands of a container command, in ordinal name order (empty for others).</summary>
    public IReadOnlyList<AclCommandInfo> Subcommands { get; internal set; } = [];

    /// <summary>True when <paramref name="argumentCount"/> (including the command name) satisfies the arity.</summary>
    public bool AcceptsArgumentCount(int argumentCount) =>
        Arity >= 0 ? argumentCount == Arity : argumentCount >= -Arity;
}
