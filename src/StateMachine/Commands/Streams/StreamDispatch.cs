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
        CommandId.Xinfo => ValidateSubcommand(args, "XINFO"),
        CommandId.Xgroup => ValidateSubcommand(args, "XGROUP"),
        _ => null,
    };

    // As Redis's dispatcher answers before the command runs: an unknown subcommand, then a wrong argument count.
    private static Reply? ValidateSubcommand(byte[][] args, string command)
    {
        // The subcommand's arity counts the container's name, which args does not hold.
        if (AclCommandCatalog.FindSubcommand(command.ToLowerInvariant(), args[0]) is not { } sub)
            return Reply.Error(ErrorTexts.UnknownSubcommand(args[0], command));
        return sub.AcceptsArgumentCount(args.Length + 1) ? null : Reply.Error(ErrorTexts.WrongArity(sub.FullName));
    }
}
