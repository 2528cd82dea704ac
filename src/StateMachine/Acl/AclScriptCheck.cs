using RaftKV.Protocol.Commands;

namespace RaftKV.StateMachine.Acl;

/// <summary>
/// The ACL check of a command a script calls (Redis 7.0's scriptVerifyACL): the same check as a client's command
/// (<see cref="AclUser.Check"/>), answered in the words Redis uses inside a script (an ERR, not the client's NOPERM).
/// </summary>
public static class AclScriptCheck
{
    /// <summary>
    /// The user a script runs as, by name, in <paramref name="users"/>: null when the check can be skipped (an
    /// unrestricted user); a user without any permission when no such user exists (deleted since the script was sent),
    /// so that each of its calls is refused as a command the user may not run.
    /// </summary>
    public static AclUser? Resolve(AclUsers users, string name)
    {
        ArgumentNullException.ThrowIfNull(users);
        var user = users.Find(name) ?? new AclUser(name, generation: 0);
        return user.IsUnrestricted ? null : user;
    }

    /// <summary>The error message (without the script's location) when <paramref name="user"/> may not run <paramref name="request"/>, else null.</summary>
    /// <param name="request">The whole command, its name at index 0.</param>
    public static string? Refusal(AclUser user, CommandSpec spec, byte[][] request) => Refusal(user, spec, request, out _);

    /// <summary>As <see cref="Refusal(AclUser, CommandSpec, byte[][])"/>, with what was refused (for ACL LOG).</summary>
    public static string? Refusal(AclUser user, CommandSpec spec, byte[][] request, out ScriptAclRefusal refused)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(request);
        refused = default;
        var command = AclCommandCatalog.Resolve(request);
        if (command is null)
            return null;
        var check = AclRequest.Check(user, command, spec, request);
        if (check.Denial != AclDenial.None)
            refused = new ScriptAclRefusal(check.Denial, check.Subject(command, request), user.Name);

        return check.Denial switch
        {
            AclDenial.None => AclRequest.SortPatternRefusal(user, command, spec, request),
            AclDenial.Key => "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments",
            AclDenial.Channel => "ERR The user executing the script can't publish to the channel mentioned in the command",
            _ => "ERR The user executing the script can't run this command or subcommand",
        };
    }
}
