using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Numbers;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// The checks that need no state: arity, syntax, and arguments Redis parses before it looks the key up
/// (so the error is the one Redis gives whatever the keyspace holds). Arguments exclude the name.
/// </summary>
internal static class CommandValidator
{
    public static Reply? Validate(CommandId command, byte[][] args)
    {
        var info = Find(command);
        if (info is null)
        {
            return Reply.Error($"ERR unknown command id {(ushort)command}");
        }

        if (!info.AcceptsArgumentCount(args.Length + 1))
        {
            return Reply.Error(ErrorTexts.WrongArity(info.Name));
        }

        switch (command)
        {
            case CommandId.Set:
                return SetOptions.TryParse(args, out _, out var setError) ? null : setError;
            case CommandId.Mset or CommandId.Msetnx:
                return args.Length % 2 == 0 ? null : Reply.Error(ErrorTexts.WrongArity(info.Name));
            case CommandId.Incrby:
                return RedisIntegers.TryParse(args[1], out _) ? null : Reply.Error(ErrorTexts.NotInteger);
            case CommandId.Decrby:
                return TryParseDecrement(args[1], out _, out var decrError) ? null : decrError;
            case CommandId.Getrange or CommandId.Substr:
                return RedisIntegers.TryParse(args[1], out _) && RedisIntegers.TryParse(args[2], out _)
                    ? null
                    : Reply.Error(ErrorTexts.NotInteger);
            case CommandId.Setrange:
                return TryParseOffset(args[1], out _, out var offsetError) ? null : offsetError;
            case CommandId.Scan:
                return KeyspaceCommands.TryParseScan(args, out _, out _, out _, out _, out var scanError) ? null : scanError;
            case CommandId.Flushdb or CommandId.Flushall:
                return KeyspaceCommands.ValidateFlush(args);
            case CommandId.Expire or CommandId.Pexpire or CommandId.Expireat or CommandId.Pexpireat:
                return ExpireCommands.TryParse(args, ExpireDispatch.UnitOf(command), info.Name, out _, out _, out var expireError) ? null : expireError;
            case CommandId.Setex or CommandId.Psetex:
                return ExpireTime.TryParse(args[1], ExpireDispatch.UnitOf(command), info.Name, out _, out var setexError) ? null : setexError;
            case CommandId.Getex:
                return StringExpiryCommands.TryParseGetEx(args, out _, out _, out _, out var getexError) ? null : getexError;
            case CommandId.Restore:
                return DumpCommands.ValidateRestore(args);
            case CommandId.Geoadd:
                return GeoCommands.ValidateAdd(args);
            case CommandId.Geodist:
                return GeoCommands.ValidateDist(args);
            case CommandId.ConfigSet:
                return Configuration.RuntimeConfig.TryParse(args, out _, out var configError) ? null : Reply.Error(configError!);
            case CommandId.ClusterSecretSet:
                return Security.ClusterSecret.Validate(args[0]);
            case CommandId.RaftkvLockAcquire or CommandId.RaftkvLockRelease or CommandId.RaftkvLockRefresh:
                return LockCommands.Validate(command, args);
            case CommandId.RaftkvKvRange or CommandId.RaftkvKvPut or CommandId.RaftkvKvDelete:
                return Kv.KvCommands.Validate(command, args);
            case CommandId.RaftkvTxn:
                return Kv.TxnArguments.TryParse(args, out _, out var txnError) ? null : txnError;
            case CommandId.Setbit:
                return BitArguments.ValidateSetBit(args);
            case CommandId.Getbit:
                return BitArguments.TryParseOffset(args[1], 0, out _) ? null : Reply.Error(BitArguments.OffsetError);
            case CommandId.Bitop:
                return BitCommands.ValidateBitOp(args);
            case CommandId.Bitfield or CommandId.BitfieldRo:
                return BitfieldCommand.Validate(args, readOnly: command == CommandId.BitfieldRo);
            case CommandId.Eval or CommandId.Evalsha or CommandId.EvalRo or CommandId.EvalshaRo:
                return !RedisIntegers.TryParse(args[1], out var numkeys) ? Reply.Error(ErrorTexts.NotInteger)
                    : numkeys > args.Length - 2 ? Reply.Error("ERR Number of keys can't be greater than number of args")
                    : numkeys < 0 ? Reply.Error("ERR Number of keys can't be negative")
                    : null;
            case CommandId.Xadd or CommandId.Xtrim or CommandId.Xread or CommandId.Xreadgroup or CommandId.Xinfo or CommandId.Xgroup:
                return Streams.StreamDispatch.Validate(command, args);
            default:
                return null;
        }
    }

    /// <summary>
    /// The spec of a command the state machine executes: a keyspace read or write, PUBLISH (applied as an entry so every
    /// node delivers it) or an internal entry, all from the one <see cref="CommandTable"/>; null for anything else.
    /// </summary>
    public static CommandSpec? Find(CommandId command) =>
        CommandTable.TryGetEntry(command, out var spec)
        && (spec.Flags & (CommandFlags.Read | CommandFlags.Write)) != 0
        && (spec.Flags & (CommandFlags.Admin | CommandFlags.Connection)) == 0
            ? spec
            : null;

    /// <summary>DECRBY's amount, refusing long.MinValue whose negation does not fit.</summary>
    public static bool TryParseDecrement(byte[] text, out long decrement, out Reply? error)
    {
        error = null;
        if (!RedisIntegers.TryParse(text, out decrement))
        {
            error = Reply.Error(ErrorTexts.NotInteger);
            return false;
        }

        if (decrement == long.MinValue)
        {
            error = Reply.Error(ErrorTexts.DecrementOverflow);
            return false;
        }

        return true;
    }

    /// <summary>SETRANGE's offset: an integer, not negative.</summary>
    public static bool TryParseOffset(byte[] text, out long offset, out Reply? error)
    {
        error = null;
        if (!RedisIntegers.TryParse(text, out offset))
        {
            error = Reply.Error(ErrorTexts.NotInteger);
            return false;
        }

        if (offset < 0)
        {
            error = Reply.Error(ErrorTexts.OffsetOutOfRange);
            return false;
        }

        return true;
    }
}
