using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.StateMachine.Acl;

/// <summary>
/// The replicated ACL users, changed only by applying ACL SETUSER/DELUSER entries, the bootstrap entry and CONFIG SET
/// requirepass, alike on every replica, and kept in snapshots. Each change publishes a new immutable
/// <see cref="AclUsers"/>. Rule sets apply all or nothing (Redis stages them on a copy of the user).
/// </summary>
public sealed class AclTable
{
    public const string DefaultUserName = "default";

    private volatile AclUsers _current;

    public AclTable()
    {
        _current = new([CreateDefault()], bootstrapped: false, lastGeneration: 0);
    }

    /// <summary>A table starting from <paramref name="current"/>: for checking a change before it is proposed.</summary>
    public AclTable(AclUsers current)
    {
        ArgumentNullException.ThrowIfNull(current);
        _current = current;
    }

    /// <summary>The users now; never changes after it is returned (a change publishes a new one).</summary>
    public AclUsers Current => _current;

    /// <summary>Redis's default user: on, nopass, ~* &amp;* +@all.</summary>
    private static AclUser CreateDefault()
    {
        var user = new AclUser(DefaultUserName, 0);
        foreach (var op in new[] { "+@all", "~*", "&*", "on", "nopass" })
            user.Apply(op);
        return user;
    }

    /// <summary>Applies an ACL entry: SETUSER name rule... or DELUSER name...; the reply is the client's.</summary>
    public Reply Apply(byte[][] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        if (arguments.Length >= 2 && Ascii.EqualsIgnoreCase(arguments[0], "SETUSER"u8))
            return SetUser(Latin1(arguments[1]), arguments.Skip(2).Select(Latin1).ToList(), commit: true);
        if (arguments.Length >= 2 && Ascii.EqualsIgnoreCase(arguments[0], "DELUSER"u8))
            return DeleteUsers(arguments.Skip(1).Select(Latin1).ToList());
        return Reply.Error("ERR unknown ACL entry");
    }

    /// <summary>
    /// ACL SETUSER: creates or changes <paramref name="name"/> by <paramref name="rules"/>, all or none; with
    /// <paramref name="commit"/> false only checks (the reply a commit would give now).
    /// </summary>
    public Reply SetUser(string name, IReadOnlyList<string> rules, bool commit)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(rules);
        if (AclSelector.HasSpaces(name))
            return Reply.Error("ERR Usernames can't contain spaces or null characters");
        if (AclRuleSplitter.Merge(rules, out var unmatched) is not { } merged)
            return Reply.Error($"ERR Unmatched parenthesis in acl selector starting at '{unmatched}'.");
        var current = _current;
        var existing = current.Find(name);
        var generation = existing?.Generation ?? current.LastGeneration + 1;
        var user = existing?.Clone() ?? new AclUser(name, generation);
        foreach (var rule in merged)
        {
            var error = user.Apply(rule);
            if (error != AclRuleError.None)
                return Reply.Error($"ERR Error in ACL SETUSER modifier '{rule}': {AclRuleErrors.Describe(error)}");
        }

        if (commit)
            Publish(current.Ordered.Where(u => u.Name != name).Append(user), current.Bootstrapped, Math.Max(current.LastGeneration, generation));
        return Reply.Ok;
    }

    /// <summary>ACL DELUSER: the number of users deleted; the default user cannot be.</summary>
    public Reply DeleteUsers(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Contains(DefaultUserName))
            return Reply.Error("ERR The 'default' user cannot be removed");
        var current = _current;
        var deleted = names.Distinct(StringComparer.Ordinal).Count(n => current.Find(n) is not null);
        if (deleted > 0)
            Publish(current.Ordered.Where(u => !names.Contains(u.Name)), current.Bootstrapped, current.LastGeneration);
        return Reply.Integer(deleted);
    }

    /// <summary>
    /// CONFIG SET requirepass, as Redis's ACLUpdateDefaultUserPassword: resetpass, then the password (given here as its
    /// hash, "" for none, which makes the default user nopass).
    /// </summary>
    public void SetDefaultPassword(string hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        var current = _current;
        var user = current.Default.Clone();
        user.Apply("resetpass");
        if (hash.Length == 0)
            user.Apply("nopass");
        else
            user.Apply("#" + (AclPasswords.IsValidHash(hash) ? hash : AclPasswords.Hash(hash)));
        Publish(current.Ordered.Where(static u => u.Name != DefaultUserName).Append(user), current.Bootstrapped, current.LastGeneration);
    }

    /// <summary>
    /// The bootstrap entry: records <c>USER name rule...</c> (an ACL file's lines) and <c>REQUIREPASS hash</c>, applied
    /// all or none, once; later bootstrap entries (another leader's) change nothing.
    /// </summary>
    public Reply Bootstrap(byte[][] arguments, Configuration.RuntimeConfig config)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(config);
        var before = _current;
        if (before.Bootstrapped)
            return Reply.Zero;
        string? requirePass = null;
        for (var i = 0; i < arguments.Length;)
        {
            var marker = Latin1(arguments[i]);
            var end = i + 1;
            while (end < arguments.Length && Latin1(arguments[end]) is not ("USER" or "REQUIREPASS"))
                end++;
            Reply reply;
            if (marker == "USER" && end - i >= 2)
                reply = SetUser(Latin1(arguments[i + 1]), arguments[(i + 2)..end].Select(Latin1).ToList(), commit: true);
            else if (marker == "REQUIREPASS" && end - i == 2)
                (reply, requirePass) = (Reply.Ok, Latin1(arguments[i + 1]));
            else
                reply = Reply.Error("ERR bad ACL bootstrap record");
            if (reply is ErrorReply)
            {
                _current = before;
                return reply;
            }

            i = end;
        }

        if (requirePass is not null)
        {
            SetDefaultPassword(requirePass);
            config.Apply([Encoding.ASCII.GetBytes("requirepass"), Encoding.Latin1.GetBytes(requirePass)]);
        }

        var after = _current;
        Publish(after.Ordered, bootstrapped: true, after.LastGeneration);
        return Reply.One;
    }

    /// <summary>Replaces the table with one read from a snapshot.</summary>
    internal void Load(IEnumerable<AclUser> users, bool bootstrapped, long lastGeneration) => Publish(users, bootstrapped, lastGeneration);

    /// <summary>A user read from a snapshot: its name, generation and the rules that describe it.</summary>
    internal static AclUser? Recreate(string name, long generation, string description)
    {
        var user = new AclUser(name, generation);
        var rules = AclRuleSplitter.Merge(description.Split(' ', StringSplitOptions.RemoveEmptyEntries), out _);
        return rules is not null && rules.All(r => user.Apply(r) == AclRuleError.None) ? user : null;
    }

    private void Publish(IEnumerable<AclUser> users, bool bootstrapped, long lastGeneration) =>
        _current = new AclUsers(users, bootstrapped, lastGeneration);

    private static string Latin1(byte[] bytes) => Encoding.Latin1.GetString(bytes);
}
