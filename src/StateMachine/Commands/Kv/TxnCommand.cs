using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands.Kv;

/// <summary>
/// RAFTKV.TXN at apply, etcd's model: every compare is evaluated against the state as this entry finds it (the same on
/// every replica), then the success list runs if all hold, else the failure list; every change is stamped with the
/// entry's one revision. Reply: <c>[succeeded (0 or 1), revision, [reply of each operation...]]</c>.
/// </summary>
internal static class TxnCommand
{
    public static Reply Apply(KeyTable keys, byte[][] args, long now)
    {
        if (!TxnArguments.TryParse(args, out var txn, out var error))
        {
            return error!;
        }

        var succeeded = txn!.Compares.All(compare => Holds(keys, compare, now));
        var operations = succeeded ? txn.Success : txn.Failure;
        var replies = new Reply[operations.Count];
        for (var i = 0; i < replies.Length; i++)
        {
            replies[i] = Run(keys, operations[i], now);
        }

        return Reply.Array(Reply.Integer(succeeded ? 1 : 0), Reply.Integer(keys.Revision), Reply.Array(replies));
    }

    /// <summary>The log form: each PUT's relative PX made PXAT at <paramref name="nowMs"/> (the entry's time).</summary>
    public static byte[][] ToLogForm(byte[][] args, long nowMs)
    {
        if (!TxnArguments.TryParse(args, out var txn, out _))
        {
            return args;
        }

        foreach (var op in txn!.Success.Concat(txn.Failure).Where(static op => op.Id == CommandId.RaftkvKvPut))
        {
            args = KvPutOptions.ToLogForm(args, op.Start, op.Arguments.Length, nowMs);
        }

        return args;
    }

    private static Reply Run(KeyTable keys, TxnOperation op, long now) => op.Id switch
    {
        // A key of another type is not a KV value: inside a transaction, which has applied by then, it is simply not found.
        CommandId.RaftkvKvGet => KvCommands.Get(keys, op.Arguments, now) is ErrorReply ? Reply.Array(Reply.Integer(keys.Revision), Reply.Null)
            : KvCommands.Get(keys, op.Arguments, now),
        CommandId.RaftkvKvRange => KvCommands.Range(keys, op.Arguments, now),
        CommandId.RaftkvKvPut => KvCommands.Put(keys, op.Arguments, now),
        CommandId.RaftkvKvDelete => KvCommands.Delete(keys, op.Arguments, now),
        _ => Reply.Error(ErrorTexts.Syntax),
    };

    private static bool Holds(KeyTable keys, TxnCompare compare, long now)
    {
        var entry = keys.Peek(compare.Key, now);
        int order;
        switch (compare.Target)
        {
            case TxnTarget.Value:
                if (entry?.Value is not StringValue value)
                {
                    return false;
                }

                order = value.Span.SequenceCompareTo(compare.Operand);
                break;
            case TxnTarget.Mod:
                order = (entry?.Revision ?? 0).CompareTo(ParseLong(compare.Operand));
                break;
            default:
                order = (entry is null ? 0L : 1L).CompareTo(ParseLong(compare.Operand));
                break;
        }

        return Keyword.Is(compare.Operator, "EQ"u8) ? order == 0
            : Keyword.Is(compare.Operator, "NE"u8) ? order != 0
            : Keyword.Is(compare.Operator, "LT"u8) ? order < 0
            : order > 0;
    }

    private static long ParseLong(byte[] text) =>
        RedisIntegers.TryParse(text, out var value) ? value : throw new InvalidOperationException("Unvalidated integer.");
}
