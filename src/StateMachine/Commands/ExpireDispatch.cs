using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;

namespace RaftKV.StateMachine.Commands;

/// <summary>Routes the expiry commands (and the internal expiry sweep) to their implementations.</summary>
internal static class ExpireDispatch
{
    public static bool Handles(CommandId command) => command is CommandId.ExpireSweep
        or CommandId.Expire or CommandId.Pexpire or CommandId.Expireat or CommandId.Pexpireat
        or CommandId.Ttl or CommandId.Pttl or CommandId.Expiretime or CommandId.Pexpiretime or CommandId.Persist
        or CommandId.Setex or CommandId.Psetex or CommandId.Getex;

    /// <summary>How the time argument of EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, SETEX and PSETEX is read.</summary>
    public static ExpireUnit UnitOf(CommandId command) => command switch
    {
        CommandId.Expire or CommandId.Setex => ExpireUnit.Seconds,
        CommandId.Pexpire or CommandId.Psetex => ExpireUnit.Milliseconds,
        CommandId.Expireat => ExpireUnit.UnixSeconds,
        CommandId.Pexpireat => ExpireUnit.UnixMilliseconds,
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Not a command with a time argument."),
    };

    public static Reply Dispatch(KeyTable keys, CommandId command, byte[][] args, long now) => command switch
    {
        CommandId.ExpireSweep => ExpireCommands.Sweep(keys, args, now),
        CommandId.Expire or CommandId.Pexpire or CommandId.Expireat or CommandId.Pexpireat =>
            ExpireCommands.Expire(keys, args, now, UnitOf(command), CommandValidator.Find(command)!.Name),
        CommandId.Ttl => ExpireCommands.Ttl(keys, args, now, milliseconds: false, absolute: false),
        CommandId.Pttl => ExpireCommands.Ttl(keys, args, now, milliseconds: true, absolute: false),
        CommandId.Expiretime => ExpireCommands.Ttl(keys, args, now, milliseconds: false, absolute: true),
        CommandId.Pexpiretime => ExpireCommands.Ttl(keys, args, now, milliseconds: true, absolute: true),
        CommandId.Persist => ExpireCommands.Persist(keys, args, now),
        CommandId.Setex or CommandId.Psetex => StringExpiryCommands.SetEx(keys, args, now, UnitOf(command), CommandValidator.Find(command)!.Name),
        CommandId.Getex => StringExpiryCommands.GetEx(keys, args, now),
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Not an expiry command."),
    };
}
