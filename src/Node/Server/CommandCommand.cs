using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Server;

/// <summary>COMMAND, COMMAND COUNT, INFO, LIST, DOCS, GETKEYS: the command table as Redis 7 reports it.</summary>
internal static class CommandCommand
{
    public static Reply Execute(byte[][] args)
    {
        if (args.Length == 1)
            return Reply.Array(CommandTable.All.Select(Describe).ToArray());

        var sub = Encoding.ASCII.GetString(args[1]).ToUpperInvariant();
        switch (sub)
        {
            case "COUNT" when args.Length == 2:
                return Reply.Integer(CommandTable.All.Count);
            case "INFO":
                if (args.Length == 2)
                    return Reply.Array(CommandTable.All.Select(Describe).ToArray());
                return Reply.Array(args.Skip(2)
                    .Select(name => CommandTable.TryGet(name, out var spec) ? Describe(spec) : Reply.NullArray)
                    .ToArray());
            case "LIST":
                return List(args);
            case "DOCS":
                return new MapReply([]);
            case "GETKEYS" when args.Length >= 3:
                return GetKeys(args.Skip(2).ToArray(), withFlags: false);
            case "GETKEYSANDFLAGS" when args.Length >= 3:
                return GetKeys(args.Skip(2).ToArray(), withFlags: true);
            case "HELP":
                return Reply.Array(Reply.Simple("COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
                    Reply.Simple("COUNT"), Reply.Simple("INFO [<command-name> ...]"), Reply.Simple("LIST"), Reply.Simple("DOCS"),
                    Reply.Simple("GETKEYS <full-command>"), Reply.Simple("GETKEYSANDFLAGS <full-command>"));
            default:
                return Reply.Error(ErrorMessages.UnknownSubcommand(Encoding.UTF8.GetString(args[1]), "COMMAND"));
        }
    }

    private static Reply Describe(CommandSpec spec)
    {
        var flags = new List<Reply>();
        if (spec.IsWrite)
            flags.Add(Reply.Simple("write"));
        if (spec.IsRead)
            flags.Add(Reply.Simple("readonly"));
        if ((spec.Flags & CommandFlags.DenyOom) != 0)
            flags.Add(Reply.Simple("denyoom"));
        if ((spec.Flags & CommandFlags.Admin) != 0)
            flags.Add(Reply.Simple("admin"));
        if ((spec.Flags & CommandFlags.PubSub) != 0)
            flags.Add(Reply.Simple("pubsub"));
        if ((spec.Flags & CommandFlags.Fast) != 0)
            flags.Add(Reply.Simple("fast"));
        if (HasMovableKeys(spec.Id))
            flags.Add(Reply.Simple("movablekeys"));
        return Reply.Array(
            Reply.Bulk(spec.Name.ToLowerInvariant()),
            Reply.Integer(spec.Arity),
            new SetReply(flags),
            Reply.Integer(spec.FirstKey),
            Reply.Integer(spec.LastKey),
            Reply.Integer(spec.KeyStep),
            new SetReply(AclCommandCatalog.Describe(spec.Categories).Select(static c => (Reply)Reply.Simple(c)).ToList()),
            new SetReply([]),
            Reply.EmptyArray,
            Reply.EmptyArray);
    }

    /// <summary>
    /// COMMAND GETKEYS and GETKEYSANDFLAGS. Keys come from the table's positions, for commands whose keys follow a
    /// numkeys argument (ZUNION, LMPOP, FCALL, ...) from that count, XREAD's after STREAMS, and MEMORY USAGE's key, as
    /// Redis's key specs find them; such a command given no keys (EVAL with numkeys 0) answers the empty array. The
    /// flags are RW/RO with the access kind of the command as a whole (write: update; read: access), coarser than
    /// Redis's per-key specs (which tell, e.g., a destination's OW from a source's RO).
    /// </summary>
    private static Reply GetKeys(byte[][] command, bool withFlags)
    {
        if (!CommandTable.TryGet(command[0], out var spec))
            return Reply.Error("ERR Invalid command specified");
        var memoryUsage = spec.Id == CommandId.Memory && command.Length > 1
            && Ascii.EqualsIgnoreCase(command[1], "USAGE"u8);
        var optionalKeys = spec.Id.IsScriptCall();
        if (spec.FirstKey == 0 && !memoryUsage && !optionalKeys && !HasKeysAfterNumkeysOrStreams(spec.Id))
            return Reply.Error("ERR The command has no key arguments");
        if (!spec.AcceptsArgumentCount(command.Length) || (memoryUsage && command.Length < 3))
            return Reply.Error("ERR Invalid number of arguments specified for command");
        IReadOnlyList<int> positions = memoryUsage ? [2] : RaftKV.StateMachine.Acl.AclRequest.Keys(spec, command);
        if (positions.Count == 0 && !optionalKeys)
            return Reply.Error("ERR Invalid arguments specified for command");
        var flags = spec.IsWrite
            ? new SetReply([Reply.Simple("RW"), Reply.Simple("update")])
            : new SetReply([Reply.Simple("RO"), Reply.Simple("access")]);
        return Reply.Array(positions
            .Select(i => withFlags ? Reply.Array(Reply.Bulk(command[i]), flags) : Reply.Bulk(command[i]))
            .ToArray());
    }

    /// <summary>
    /// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]: every command and subcommand
    /// (container|subcommand) this node serves; no modules exist, an unknown category matches nothing, a pattern is a
    /// case-insensitive glob over the full name.
    /// </summary>
    private static Reply List(byte[][] args)
    {
        IEnumerable<string> names = CommandTable.All.SelectMany(static spec =>
        {
            var name = spec.Name.ToLowerInvariant();
            var subs = AclCommandCatalog.Find(name)?.Subcommands ?? [];
            return subs.Select(static sub => sub.FullName).Prepend(name);
        });
        if (args.Length == 5 && Ascii.EqualsIgnoreCase(args[2], "FILTERBY"u8))
        {
            var filter = Encoding.ASCII.GetString(args[3]).ToUpperInvariant();
            var value = Encoding.UTF8.GetString(args[4]);
            if (filter == "MODULE")
                names = [];
            else if (filter == "ACLCAT")
            {
                var category = AclCommandCatalog.FindCategory(value);
                names = category == AclCategories.None ? [] : names.Where(n => (AclCommandCatalog.CategoriesOf(n) & category) != 0);
            }
            else if (filter == "PATTERN")
            {
                var pattern = Encoding.UTF8.GetBytes(value.ToLowerInvariant());
                names = names.Where(n => RaftKV.StateMachine.Text.GlobPattern.IsMatch(pattern, Encoding.UTF8.GetBytes(n)));
            }
            else
                return Reply.Error("ERR syntax error");
        }
        else if (args.Length != 2)
            return Reply.Error("ERR syntax error");

        return Reply.Array(names.Select(static n => (Reply)Reply.Bulk(n)).ToArray());
    }

    /// <summary>Redis's movablekeys: commands whose keys are found from their arguments (numkeys, STREAMS, STORE).</summary>
    private static bool HasMovableKeys(CommandId id) => HasKeysAfterNumkeysOrStreams(id) || id.IsScriptCall()
        || id is CommandId.Sort or CommandId.SortRo or CommandId.Georadius or CommandId.Georadiusbymember;

    private static bool HasKeysAfterNumkeysOrStreams(CommandId id) => id is CommandId.Zunion or CommandId.Zinter
        or CommandId.Zdiff or CommandId.Sintercard or CommandId.Zintercard or CommandId.Lmpop or CommandId.Zmpop
        or CommandId.Blmpop or CommandId.Bzmpop or CommandId.Zunionstore or CommandId.Zinterstore or CommandId.Zdiffstore
        or CommandId.Xread or CommandId.Xreadgroup;
}
