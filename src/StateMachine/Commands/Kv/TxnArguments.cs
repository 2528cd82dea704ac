using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Commands.Kv;

/// <summary>
/// RAFTKV.TXN's arguments (the name excluded): <c>ncompares {key VALUE|MOD|EXISTS EQ|NE|LT|GT operand}...
/// nsuccess {argc GET|RANGE|PUT|DELETE arg...}... nfailure {...}...</c>, where argc counts the operation's name and
/// its arguments, which are those of RAFTKV.KV.GET, RANGE, PUT and DELETE.
/// </summary>
internal sealed class TxnArguments
{
    /// <summary>At most this many compares, and this many operations in each list (etcd's default max-txn-ops).</summary>
    public const int MaxItems = 128;

    private TxnArguments(List<TxnCompare> compares, List<TxnOperation> success, List<TxnOperation> failure)
    {
        Compares = compares;
        Success = success;
        Failure = failure;
    }

    public IReadOnlyList<TxnCompare> Compares { get; }

    public IReadOnlyList<TxnOperation> Success { get; }

    public IReadOnlyList<TxnOperation> Failure { get; }

    /// <summary>Parses and checks everything that needs no state; the error is the reply to give.</summary>
    public static bool TryParse(byte[][] args, out TxnArguments? txn, out Reply? error)
    {
        txn = null;
        error = null;
        var at = 0;
        if (!TryCount(args, ref at, out var count) || count * 4 > args.Length - at)
        {
            error = Reply.Error("ERR Txn: bad compare count");
            return false;
        }

        var compares = new List<TxnCompare>(count);
        for (var i = 0; i < count; i++, at += 4)
        {
            var target = Keyword.Is(args[at + 1], "VALUE"u8) ? TxnTarget.Value
                : Keyword.Is(args[at + 1], "MOD"u8) ? TxnTarget.Mod
                : Keyword.Is(args[at + 1], "EXISTS"u8) ? TxnTarget.Exists
                : (TxnTarget)(-1);
            if (target < 0 || !IsOperator(args[at + 2]))
            {
                error = Reply.Error(ErrorTexts.Syntax);
                return false;
            }

            if (target != TxnTarget.Value && !RedisIntegers.TryParse(args[at + 3], out _))
            {
                error = Reply.Error(ErrorTexts.NotInteger);
                return false;
            }

            compares.Add(new TxnCompare(args[at], target, args[at + 2], args[at + 3]));
        }

        if (!TryOperations(args, ref at, out var success, out error) || !TryOperations(args, ref at, out var failure, out error))
        {
            return false;
        }

        if (at != args.Length)
        {
            error = Reply.Error(ErrorTexts.Syntax);
            return false;
        }

        txn = new TxnArguments(compares, success!, failure!);
        return true;
    }

    /// <summary>
    /// The positions of the keys (prefixes included) in the whole request, the name at 0, and of those the prefixes (a
    /// RANGE's, a DELETE PREFIX's), whose every key ACL must allow: for ACL key checks, from one parse.
    /// </summary>
    public static (List<int> Keys, List<int> Prefixes) Positions(byte[][] request)
    {
        var keys = new List<int>();
        var prefixes = new List<int>();
        if (!TryParse(request[1..], out var txn, out _))
        {
            return (keys, prefixes);
        }

        var at = 2;
        foreach (var unused in txn!.Compares)
        {
            keys.Add(at);
            at += 4;
        }

        foreach (var op in txn.Success.Concat(txn.Failure))
        {
            var delete = op.Id == CommandId.RaftkvKvDelete;
            var prefix = op.Id == CommandId.RaftkvKvRange || (delete && Keyword.Is(op.Arguments[0], "PREFIX"u8));
            for (var i = delete ? 2 : 0; i < (delete ? op.Arguments.Length : 1); i++)
            {
                keys.Add(op.Start + 1 + i);
                if (prefix)
                {
                    prefixes.Add(op.Start + 1 + i);
                }
            }
        }

        return (keys, prefixes);
    }

    private static bool TryOperations(byte[][] args, ref int at, out List<TxnOperation>? operations, out Reply? error)
    {
        operations = null;
        error = null;
        if (!TryCount(args, ref at, out var count))
        {
            error = Reply.Error("ERR Txn: bad operation count");
            return false;
        }

        var list = new List<TxnOperation>(count);
        for (var i = 0; i < count; i++)
        {
            if (at >= args.Length || !RedisIntegers.TryParse(args[at], out var argc) || argc < 1 || argc > args.Length - at - 1)
            {
                error = Reply.Error("ERR Txn: bad operation length");
                return false;
            }

            var name = args[at + 1];
            var id = Keyword.Is(name, "GET"u8) ? CommandId.RaftkvKvGet
                : Keyword.Is(name, "RANGE"u8) ? CommandId.RaftkvKvRange
                : Keyword.Is(name, "PUT"u8) ? CommandId.RaftkvKvPut
                : Keyword.Is(name, "DELETE"u8) ? CommandId.RaftkvKvDelete
                : CommandId.None;
            if (id == CommandId.None)
            {
                error = Reply.Error("ERR Txn: unknown operation '" + System.Text.Encoding.UTF8.GetString(name) + "'");
                return false;
            }

            var start = at + 2;
            var operation = args[start..(at + 1 + (int)argc)];
            if (CommandValidator.Validate(id, operation) is { } invalid)
            {
                error = invalid;
                return false;
            }

            list.Add(new TxnOperation(id, operation, start));
            at += 1 + (int)argc;
        }

        operations = list;
        return true;
    }

    private static bool TryCount(byte[][] args, ref int at, out int count)
    {
        count = 0;
        if (at >= args.Length || !RedisIntegers.TryParse(args[at], out var value) || value is < 0 or > MaxItems)
        {
            return false;
        }

        count = (int)value;
        at++;
        return true;
    }

    private static bool IsOperator(byte[] op) =>
        Keyword.Is(op, "EQ"u8) || Keyword.Is(op, "NE"u8) || Keyword.Is(op, "LT"u8) || Keyword.Is(op, "GT"u8);
}
