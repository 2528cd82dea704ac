using System.Security.Cryptography;
using System.Text;
using RaftKV.Node.Execution;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;
using RaftKV.StateMachine.Acl;

namespace RaftKV.Node.Security;

/// <summary>
/// ACL's subcommands, answered as Redis 7.0.15 answers them. SETUSER and DELUSER are checked here against this node's
/// users (Redis's errors at once) and proposed as one ACL log entry, which every replica applies (a follower relays the
/// command to the leader, which checks and proposes it; passwords reach the log only as hashes). GETUSER, LIST, USERS
/// and DRYRUN read the users after a read barrier on the leader (a follower relays them); WHOAMI, CAT and GENPASS are
/// answered here. LOAD and SAVE answer Redis's "not configured to use an ACL file"; LOG reads and resets this node's
/// <see cref="AclLog"/>.
/// </summary>
internal sealed class AclCommand(CommandExecutor executor, AccessControl access)
{
    // ACL LOG [count | RESET]: this node's log (Redis's default count 10; a negative count shows none).
    private Reply Log(byte[][] args)
    {
        long count = 10;
        if (args.Length == 3)
        {
            if (Ascii.EqualsIgnoreCase(args[2], "RESET"u8))
            {
                access.Log.Reset();
                return Reply.Ok;
            }

            if (!RedisNumber.TryParseLong(args[2], out count))
                return Reply.Error(ErrorMessages.NotInteger);
        }

        return access.Log.Read(Math.Max(0, count));
    }

    public async ValueTask<Reply> ExecuteAsync(byte[][] args, IExecutionCaller caller, SessionIdentity who, CancellationToken token)
    {
        var sub = Encoding.UTF8.GetString(args[1]).ToLowerInvariant();
        if (AclCommandCatalog.Find("acl|" + sub) is not { } info || sub.Contains('|', StringComparison.Ordinal))
            return Reply.Error(ErrorMessages.UnknownSubcommand(Encoding.UTF8.GetString(args[1]), "ACL"));
        if (!info.AcceptsArgumentCount(args.Length))
            return Reply.Error(ErrorMessages.WrongArity(info.FullName));
        switch (sub)
        {
            case "setuser":
                return await SetUserAsync(args, caller, token).ConfigureAwait(false);
            case "deluser":
                if (args.Skip(2).Any(static a => a.AsSpan().SequenceEqual("default"u8)))
                    return Reply.Error("ERR The 'default' user cannot be removed");
                return await executor.ProposeAsync(CommandId.Acl, [.. args[1..]], args, caller, token).ConfigureAwait(false);
            case "getuser":
                return await executor.ReadStateAsync(store => GetUser(store.Acl.Current, Latin1(args[2])), args, caller, token).ConfigureAwait(false);
            case "list" or "users":
                return await executor.ReadStateAsync(store => List(store.Acl.Current, names: sub == "users"), args, caller, token).ConfigureAwait(false);
            case "dryrun":
                return await executor.ReadStateAsync(store => DryRun(store.Acl.Current, args), args, caller, token).ConfigureAwait(false);
            case "whoami":
                return Reply.Bulk(Encoding.Latin1.GetBytes(who.UserName));
            case "cat" when args.Length <= 3:
                return Categories(args);
            case "genpass" when args.Length <= 3:
                return GeneratePassword(args);
            case "log" when args.Length <= 3:
                return Log(args);
            case "load" or "save":
                return Reply.Error("ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.");
            case "help":
                return Help();
            default:
                return Reply.Error(ErrorMessages.UnknownSubcommandOrWrongArity(Encoding.UTF8.GetString(args[1]), "ACL"));
        }
    }

    private async ValueTask<Reply> SetUserAsync(byte[][] args, IExecutionCaller caller, CancellationToken token)
    {
        var name = Latin1(args[2]);
        var check = new AclTable(access.Users).SetUser(name, args.Skip(3).Select(Latin1).ToList(), commit: false);
        if (check is ErrorReply)
            return check;
        if (AclRuleText.ForLog(args.Skip(3)) is not { } rules)
            return Reply.Error(ErrorMessages.Syntax);
        byte[][] entry = [[.. "SETUSER"u8], args[2], .. rules.Select(Encoding.Latin1.GetBytes)];
        return await executor.ProposeAsync(CommandId.Acl, entry, args, caller, token).ConfigureAwait(false);
    }

    /// <summary>ACL GETUSER: flags, passwords, the root selector's commands, keys and channels, then the other selectors.</summary>
    private static Reply GetUser(AclUsers users, string name)
    {
        if (users.Find(name) is not { } user)
            return Reply.Null;
        var root = user.DescribeSelector(0);
        var selectors = Enumerable.Range(1, user.SelectorCount - 1).Select(i =>
        {
            var (commands, keys, channels) = user.DescribeSelector(i);
            return (Reply)new MapReply([Pair("commands", commands), Pair("keys", keys), Pair("channels", channels)]);
        }).ToArray();
        return new MapReply(
        [
            new(Reply.Bulk("flags"), new SetReply(user.Flags().Select(static f => Reply.Bulk(f)).ToList())),
            new(Reply.Bulk("passwords"), Reply.Array(user.PasswordHashes.Select(static h => Reply.Bulk(h)).ToArray())),
            Pair("commands", root.Commands),
            Pair("keys", root.Keys),
            Pair("channels", root.Channels),
            new(Reply.Bulk("selectors"), Reply.Array(selectors)),
        ]);
    }

    private static KeyValuePair<Reply, Reply> Pair(string name, string value) => new(Reply.Bulk(name), Reply.Bulk(Encoding.Latin1.GetBytes(value)));

    private static Reply List(AclUsers users, bool names) => Reply.Array(users.Ordered
        .Select(u => Reply.Bulk(Encoding.Latin1.GetBytes(names ? u.Name : "user " + u.Name + " " + u.Describe()))).ToArray());

    private static Reply DryRun(AclUsers users, byte[][] args)
    {
        if (users.Find(Latin1(args[2])) is not { } user)
            return Reply.Error($"ERR User '{Latin1(args[2])}' not found");
        var request = args[3..];
        var command = AclCommandCatalog.Resolve(request);
        if (command is null || (command.Subcommands.Count > 0 && request.Length > 1 && command.Parent is null))
            return Reply.Error($"ERR Command '{Latin1(args[3])}' not found");
        if (!command.AcceptsArgumentCount(request.Length))
            return Reply.Error(ErrorMessages.WrongArity(command.FullName));
        CommandTable.TryGet(request[0], out var spec);
        var check = AclRequest.Check(user, command, spec, request);
        return check.Denial switch
        {
            AclDenial.None => Reply.Ok,
            AclDenial.Key => Reply.Bulk(Encoding.Latin1.GetBytes($"This user has no permissions to access the '{Latin1(request[check.Position])}' key")),
            AclDenial.Channel => Reply.Bulk(Encoding.Latin1.GetBytes($"This user has no permissions to access the '{Latin1(request[check.Position])}' channel")),
            _ => Reply.Bulk($"This user has no permissions to run the '{command.FullName}' command"),
        };
    }

    private static Reply Categories(byte[][] args)
    {
        if (args.Length == 2)
            return Reply.Array(AclCommandCatalog.CategoryNames.Select(static c => Reply.Bulk(c)).ToArray());
        var name = Latin1(args[2]);
        var category = AclCommandCatalog.FindCategory(name);
        if (category == AclCategories.None)
            return Reply.Error($"ERR Unknown category '{(name.Length > 128 ? name[..128] : name)}'");
        return Reply.Array(AclCommandCatalog.All.Where(c => (c.Categories & category) != 0).Select(static c => Reply.Bulk(c.FullName)).ToArray());
    }

    private static Reply GeneratePassword(byte[][] args)
    {
        long bits = 256;
        if (args.Length == 3 && !RedisNumber.TryParseLong(args[2], out bits))
            return Reply.Error(ErrorMessages.NotInteger);
        if (bits is <= 0 or > 4096)
            return Reply.Error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096");
        var chars = (int)((bits + 3) / 4);
        return Reply.Bulk(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes((chars + 1) / 2))[..chars]);
    }

    private static Reply Help() => RaftKV.Node.Server.Subcommands.Help("ACL",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.");

    private static string Latin1(byte[] bytes) => Encoding.Latin1.GetString(bytes);
}
