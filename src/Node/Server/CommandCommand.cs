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
                return Reply.Array(CommandTable.All.Select(static s => Reply.Bulk(s.Name.ToLowerInvariant())).ToArray());
            case "DOCS":
                return new MapReply([]);
            case "GETKEYS" when args.Length >= 3:
                return GetKeys(args.Skip(2).ToArray());
            case "HELP":
                return Reply.Array(Reply.Simple("COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
                    Reply.Simple("COUNT"), Reply.Simple("INFO [<command-name> ...]"), Reply.Simple("LIST"), Reply.Simple("DOCS"),
                    Reply.Simple("GETKEYS <full-command>"));
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
        return Reply.Array(
            Reply.Bulk(spec.Name.ToLowerInvariant()),
            Reply.Integer(spec.Arity),
            new SetReply(flags),
            Reply.Integer(spec.FirstKey),
            Reply.Integer(spec.LastKey),
            Reply.Integer(spec.KeyStep),
            new SetReply([]),
            new SetReply([]),
            Reply.EmptyArray,
            Reply.EmptyArray);
    }

    private static Reply GetKeys(byte[][] command)
    {
        if (!CommandTable.TryGet(command[0], out var spec))
            return Reply.Error("ERR Invalid command specified");
        if (!spec.AcceptsArgumentCount(command.Length))
            return Reply.Error("ERR Invalid number of arguments specified for command");
        if (spec.FirstKey == 0)
            return Reply.Error("ERR The command has no key arguments");
        var last = spec.LastKey < 0 ? command.Length + spec.LastKey : spec.LastKey;
        var keys = new List<Reply>();
        for (var i = spec.FirstKey; i <= last && i < command.Length; i += Math.Max(1, spec.KeyStep))
            keys.Add(Reply.Bulk(command[i]));
        return Reply.Array(keys.ToArray());
    }
}
