using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;

namespace RaftKV.StateMachine.Commands.Streams;

/// <summary>Routes the stream commands to their implementations, and holds their stateless checks.</summary>
internal static class StreamDispatch
{
    public static bool Handles(CommandId command) => (ushort)command is >= 850 and <= 899;

    public static Reply Dispatch(KeyTable keys, CommandId command, byte[][] args, long now) => command switch
    {
        CommandId.Xadd => StreamCommands.Add(keys, args, now),
        CommandId.Xrange => StreamCommands.Range(keys, args, now, reverse: false),
        CommandId.Xrevrange => StreamCommands.Range(keys, args, now, reverse: true),
        CommandId.Xlen => StreamCommands.Length(keys, args, now),
        CommandId.Xdel => StreamCommands.Delete(keys, args, now),
        CommandId.Xtrim => StreamCommands.Trim(keys, args, now),
        CommandId.Xsetid => StreamCommands.SetId(keys, args, now),
        CommandId.Xread => StreamReadCommands.Read(keys, args, now),
        CommandId.Xreadgroup => StreamReadCommands.ReadGroup(keys, args, now),
        CommandId.Xinfo => StreamInfoCommand.Execute(keys, args, now),
        CommandId.Xgroup => StreamGroupCommands.Group(keys, args, now),
        CommandId.Xack => StreamGroupCommands.Ack(keys, args, now),
        CommandId.Xpending => StreamGroupCommands.Pending(keys, args, now),
        CommandId.Xclaim => StreamClaimCommands.Claim(keys, args, now),
        CommandId.Xautoclaim => StreamClaimCommands.AutoClaim(keys, args, now),
        _ => Reply.Error($"ERR unknown command id {(ushort)command}"),
    };

    /// <summary>The option errors Redis gives before it looks at any key (so a malformed write never reaches the log).</summary>
    public static Reply? Validate(CommandId command, byte[][] args) => command switch
    {
        CommandId.Xadd => StreamTrimOptions.TryParse(args, add: true, out _, out var error) ? null : error,
        CommandId.Xtrim => StreamTrimOptions.TryParse(args, add: false, out _, out var error) ? null : error,
        CommandId.Xread => StreamReadOptions.TryParse(args, group: false, out _, out var error) ? null : error,
        CommandId.Xreadgroup => StreamReadOptions.TryParse(args, group: true, out _, out var error) ? null : error,
        CommandId.Xinfo => ValidateSubcommand(args, "XINFO", InfoArities),
        CommandId.Xgroup => ValidateSubcommand(args, "XGROUP", GroupArities),
        _ => null,
    };

    // Redis 7.0's subcommand arities (COMMAND INFO), the container's name included: negative means at least.
    private static readonly (string Name, int Arity)[] InfoArities = [("stream", -3), ("groups", 3), ("consumers", 4), ("help", 2)];

    private static readonly (string Name, int Arity)[] GroupArities =
        [("create", -5), ("setid", -5), ("destroy", 4), ("createconsumer", 5), ("delconsumer", 5), ("help", 2)];

    private static bool IsName(byte[] argument, string name)
    {
        if (argument.Length != name.Length)
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = argument[i];
            if ((c is >= (byte)'A' and <= (byte)'Z' ? c + 32 : c) != name[i])
            {
                return false;
            }
        }

        return true;
    }

    // As Redis's dispatcher answers before the command runs: an unknown subcommand, then a wrong argument count.
    private static Reply? ValidateSubcommand(byte[][] args, string command, (string Name, int Arity)[] arities)
    {
        foreach (var (name, arity) in arities)
        {
            if (IsName(args[0], name))
            {
                var count = args.Length + 1;
                return (arity >= 0 ? count == arity : count >= -arity)
                    ? null
                    : Reply.Error(ErrorTexts.WrongArity(command.ToLowerInvariant() + "|" + name));
            }
        }

        return Reply.Error(ErrorTexts.UnknownSubcommand(args[0], command));
    }
}
