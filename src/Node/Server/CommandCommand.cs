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
                return Reply.Array(args.Skip(2).Select(DescribeByName).ToArray());
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

    // COMMAND INFO's name argument: a command this node serves, or a subcommand of one (container|sub) that Redis has.
    private static Reply DescribeByName(byte[] name)
    {
        if (CommandTable.TryGet(name, out var spec))
            return Describe(spec);
        if (Ascii.IsValid(name) && AclCommandCatalog.Find(Encoding.ASCII.GetString(name)) is { Parent: { } parent } sub
            && CommandTable.TryGet(Encoding.ASCII.GetBytes(parent.FullName), out _) && CommandIntrospection.Find(sub.FullName) is { } info)
            return Describe(sub, info);
        return Reply.Null; // Redis's null: $-1 under RESP2
    }

    /// <summary>
    /// A command as Redis 7.0.15 describes it (flags, key positions, tips, key specs and subcommands from Redis's
    /// command data) when Redis has it; RaftKV's own commands from the table (no tips, key specs or subcommands).
    /// </summary>
    private static Reply Describe(CommandSpec spec)
    {
        var name = spec.Name.ToLowerInvariant();
        if (CommandIntrospection.Find(name) is { } info && AclCommandCatalog.Find(name) is { } command)
            return Describe(command, info);

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
        return Reply.Array(
            Reply.Bulk(name),
            Reply.Integer(spec.Arity),
            new SetReply(flags),
            Reply.Integer(spec.FirstKey),
            Reply.Integer(spec.LastKey),
            Reply.Integer(spec.KeyStep),
            Categories(spec.Categories),
            new SetReply([]),
            new SetReply([]),
            new SetReply([]));
    }

    // Arity, categories and subcommands from the catalog; the rest from Redis's command data.
    private static Reply Describe(AclCommandInfo command, RedisCommandIntrospection info)
    {
        var (first, last, step, _) = info.LegacyRange;
        return Reply.Array(
            Reply.Bulk(command.FullName),
            Reply.Integer(command.Arity),
            new SetReply(CommandIntrospection.DescribeFlags(info).Select(static f => (Reply)Reply.Simple(f)).ToList()),
            Reply.Integer(first),
            Reply.Integer(last),
            Reply.Integer(step),
            Categories(command.Categories),
            new SetReply(info.Tips.Select(static t => (Reply)Reply.Bulk(t)).ToList()),
            new SetReply(info.KeySpecs.Select(DescribeKeySpec).ToList()),
            command.Subcommands.Count == 0
                ? new SetReply([])
                : Reply.Array(command.Subcommands
                    .Select(static sub => CommandIntrospection.Find(sub.FullName) is { } subInfo ? Describe(sub, subInfo) : null)
                    .OfType<Reply>()
                    .ToArray()));
    }

    private static SetReply Categories(AclCategories categories) =>
        new(AclCommandCatalog.Describe(categories).Select(static c => (Reply)Reply.Simple(c)).ToList());

    private static Reply DescribeKeySpec(KeySpec spec)
    {
        var begin = spec.Begin.Type switch
        {
            BeginSearch.Kind.Index => Map(("index", Reply.Integer(spec.Begin.Index))),
            BeginSearch.Kind.Keyword => Map(("keyword", Reply.Bulk(spec.Begin.Keyword!)), ("startfrom", Reply.Integer(spec.Begin.StartFrom))),
            _ => Map(),
        };
        var find = spec.Find.Type switch
        {
            FindKeys.Kind.Range => Map(("lastkey", Reply.Integer(spec.Find.LastKey)), ("keystep", Reply.Integer(spec.Find.KeyStep)),
                ("limit", Reply.Integer(spec.Find.Limit))),
            FindKeys.Kind.KeyNum => Map(("keynumidx", Reply.Integer(spec.Find.KeyNumIndex)), ("firstkey", Reply.Integer(spec.Find.FirstKey)),
                ("keystep", Reply.Integer(spec.Find.KeyStep))),
            _ => Map(),
        };
        var fields = new List<(string, Reply)>();
        if (spec.Notes is not null)
            fields.Add(("notes", Reply.Bulk(spec.Notes)));
        fields.Add(("flags", KeyFlags(spec.Flags)));
        fields.Add(("begin_search", Map(("type", Reply.Bulk(spec.Begin.TypeName)), ("spec", begin))));
        fields.Add(("find_keys", Map(("type", Reply.Bulk(spec.Find.TypeName)), ("spec", find))));
        return Map([.. fields]);
    }

    private static MapReply Map(params (string Key, Reply Value)[] entries) =>
        new(entries.Select(static e => KeyValuePair.Create((Reply)Reply.Bulk(e.Key), e.Value)).ToList());

    private static SetReply KeyFlags(KeySpecFlags flags) =>
        new(CommandIntrospection.DescribeKeyFlags(flags).Select(static f => (Reply)Reply.Simple(f)).ToList());

    /// <summary>
    /// COMMAND GETKEYS and GETKEYSANDFLAGS, as Redis 7.0 answers them: a container command's subcommand is looked up (an
    /// unknown one is an invalid command), then its keys are found as Redis finds them (<see cref="CommandKeys"/>); none
    /// found answers the empty array when the command's keys are optional (EVAL with numkeys 0), else an error. RaftKV's
    /// own commands: the table's positions, flagged with the command's access kind.
    /// </summary>
    private static Reply GetKeys(byte[][] command, bool withFlags)
    {
        if (!CommandTable.TryGet(command[0], out var spec))
            return Reply.Error("ERR Invalid command specified");
        var name = spec.Name.ToLowerInvariant();
        if (CommandIntrospection.Find(name) is null || AclCommandCatalog.Find(name) is not { } entry)
            return OwnCommandKeys(spec, command, withFlags);
        if (entry.Subcommands.Count > 0 && command.Length >= 2)
            entry = AclCommandCatalog.FindSubcommand(name, command[1]);
        if (entry is null || CommandIntrospection.Find(entry.FullName) is not { } info)
            return Reply.Error("ERR Invalid command specified");

        if (!info.KeySpecs.Any(static k => (k.Flags & KeySpecFlags.NotKey) == 0) && info.KeyFunction is null)
            return Reply.Error("ERR The command has no key arguments");
        if (!entry.AcceptsArgumentCount(command.Length))
            return Reply.Error("ERR Invalid number of arguments specified for command");
        var keys = CommandKeys.Find(info, command);
        if (keys.Count == 0)
        {
            return (info.Flags & RedisCommandFlags.NoMandatoryKeys) != 0
                ? Reply.EmptyArray
                : Reply.Error("ERR Invalid arguments specified for command");
        }

        return Reply.Array(keys
            .Select(k => withFlags ? Reply.Array(Reply.Bulk(command[k.Position]), KeyFlags(k.Flags)) : Reply.Bulk(command[k.Position]))
            .ToArray());
    }

    private static Reply OwnCommandKeys(CommandSpec spec, byte[][] command, bool withFlags)
    {
        if (spec.FirstKey == 0)
            return Reply.Error("ERR The command has no key arguments");
        if (!spec.AcceptsArgumentCount(command.Length))
            return Reply.Error("ERR Invalid number of arguments specified for command");
        var positions = RaftKV.StateMachine.Acl.AclRequest.Keys(spec, command);
        if (positions.Count == 0)
            return Reply.Error("ERR Invalid arguments specified for command");
        var flags = spec.IsWrite
            ? KeyFlags(KeySpecFlags.RW | KeySpecFlags.Update)
            : KeyFlags(KeySpecFlags.RO | KeySpecFlags.Access);
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
}
