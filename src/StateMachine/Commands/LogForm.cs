using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Numbers;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// The form in which a command is written to the log: relative expiry times turned into absolute ones at
/// the entry's timestamp (the leader's clock), as Redis does for its AOF and replicas, so that a replica,
/// a log replay after a restart or a new leader computes the same expiry whatever its own "now".
/// EXPIRE and PEXPIRE become PEXPIREAT; SETEX and PSETEX become SET ... PXAT; SET's and GETEX's EX and PX
/// become PXAT, and so do RAFTKV.KV.PUT's PX and that of each PUT inside RAFTKV.TXN. Every other argument is kept
/// as sent. A command that would fail (bad syntax, a bad
/// time, an overflow) is left as it is, so that applying it gives exactly the error the client would
/// have had; so is every other command.
/// </summary>
internal static class LogForm
{
    private static readonly byte[] Pxat = "PXAT"u8.ToArray();

    public static LogCommand Rewrite(LogCommand command)
    {
        var args = command.Arguments;
        var now = command.TimestampMs;
        if (now < 0 || CommandValidator.Validate(command.Command, args) is not null)
        {
            return command;
        }

        switch (command.Command)
        {
            case CommandId.Expire or CommandId.Pexpire:
                {
                    var unit = ExpireDispatch.UnitOf(command.Command);
                    if (!ExpireCommands.TryGetExpireAt(args, unit, "expire", now, out _, out var expireAt, out _))
                    {
                        return command;
                    }

                    var rewritten = (byte[][])args.Clone();
                    rewritten[1] = RedisIntegers.Format(expireAt);
                    return command with { Command = CommandId.Pexpireat, Arguments = rewritten };
                }

            case CommandId.Setex or CommandId.Psetex:
                {
                    var unit = ExpireDispatch.UnitOf(command.Command);
                    if (!ExpireTime.TryParse(args[1], unit, "setex", out var time, out _)
                        || !ExpireTime.TryToAbsolute(unit, time, now, out var expireAt))
                    {
                        return command;
                    }

                    return command with { Command = CommandId.Set, Arguments = [args[0], args[2], Pxat, RedisIntegers.Format(expireAt)] };
                }

            case CommandId.Set:
                {
                    if (!SetOptions.TryParse(args, out var options, out _) || !ExpireTime.IsRelative(options.Unit)
                        || !options.TryGetExpireAt(now, out var expireAt))
                    {
                        return command;
                    }

                    // Keep every option but the expiry ones (valid input: each EX or PX is followed by its value).
                    var rewritten = new List<byte[]>(args.Length) { args[0], args[1] };
                    for (var i = 2; i < args.Length; i++)
                    {
                        if (ExpireTime.TryParseUnit(args[i], out _))
                        {
                            i++;
                            continue;
                        }

                        rewritten.Add(args[i]);
                    }

                    rewritten.Add(Pxat);
                    rewritten.Add(RedisIntegers.Format(expireAt));
                    return command with { Arguments = [.. rewritten] };
                }

            case CommandId.Getex:
                {
                    // Valid GETEX options name one unit at most (possibly repeated, the last wins) or PERSIST.
                    if (!StringExpiryCommands.TryParseGetEx(args, out var unit, out var argument, out _, out _)
                        || argument is null || !ExpireTime.IsRelative(unit)
                        || !ExpireTime.TryParse(argument, unit, "getex", out var time, out _)
                        || !ExpireTime.TryToAbsolute(unit, time, now, out var expireAt))
                    {
                        return command;
                    }

                    return command with { Arguments = [args[0], Pxat, RedisIntegers.Format(expireAt)] };
                }

            case CommandId.RaftkvKvPut:
                {
                    var rewritten = Kv.KvPutOptions.ToLogForm(args, 0, args.Length, now);
                    return ReferenceEquals(rewritten, args) ? command : command with { Arguments = rewritten };
                }

            case CommandId.RaftkvTxn:
                {
                    var rewritten = Kv.TxnCommand.ToLogForm(args, now);
                    return ReferenceEquals(rewritten, args) ? command : command with { Arguments = rewritten };
                }

            case CommandId.Restore:
                return DumpCommands.ToAbsolute(args, now) is { } absolute ? command with { Arguments = absolute } : command;

            default:
                return command;
        }
    }
}
