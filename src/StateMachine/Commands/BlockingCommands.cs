using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// The state-machine half of BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX and BZMPOP. Applied
/// as a log entry, each behaves exactly like its non-blocking twin when it can be served now, and answers
/// <see cref="WouldBlock"/> (the null array, which is also Redis's timeout reply) when every key it waits on
/// is empty or missing, changing nothing. Blocking itself (waiting, FIFO order, timeouts, proposing the
/// serving entry when a key fills) is the node's job; the timeout is parsed here only to refuse bad ones.
/// </summary>
internal static class BlockingCommands
{
    /// <summary>The reply meaning "nothing to pop: the client would block".</summary>
    public static readonly Reply WouldBlock = Reply.NullArray;

    /// <summary>
    /// BLMOVE's and BRPOPLPUSH's WRONGTYPE when the source (not the destination) holds another type: the same words to
    /// the client, but told apart by reference, so that a woken client's retry decides "keep waiting" from the state its
    /// own entry saw (<see cref="KeyValueStore.IsBlockedSourceOfOtherType"/>), not from a later read.
    /// </summary>
    public static readonly Reply SourceOfOtherType = Reply.Error(ErrorTexts.WrongType);

    /// <summary>BLPOP / BRPOP key... timeout: <c>[key, element]</c>.</summary>
    public static Reply ListPop(KeyTable keys, byte[][] args, long now, bool left)
    {
        if (!TryParseTimeout(args[^1], out var error))
        {
            return error!;
        }

        var popped = ListMoveCommands.PopFirstNonEmpty(keys, args[..^1], left, 1, now);
        if (popped is ArrayReply { Items: [var key, ArrayReply { Items: [var element] }] })
        {
            return Reply.Array(key, element);
        }

        return popped ?? WouldBlock;
    }

    /// <summary>BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout.</summary>
    public static Reply Move(KeyTable keys, byte[][] args, long now)
    {
        if (!ListMoveCommands.TryParseSide(args[2], out var fromLeft) || !ListMoveCommands.TryParseSide(args[3], out var toLeft))
        {
            return Reply.Error(ErrorTexts.Syntax);
        }

        return MoveOrBlock(keys, args, now, fromLeft, toLeft, args[4]);
    }

    /// <summary>BRPOPLPUSH source destination timeout.</summary>
    public static Reply PopPush(KeyTable keys, byte[][] args, long now) => MoveOrBlock(keys, args, now, false, true, args[2]);

    /// <summary>BLMPOP timeout numkeys key... LEFT|RIGHT [COUNT n].</summary>
    public static Reply ListMultiPop(KeyTable keys, byte[][] args, long now)
    {
        if (!TryParseTimeout(args[0], out var error)
            || !ListMoveCommands.TryParseMultiPop(args[1..], out var sourceKeys, out var left, out var count, out error))
        {
            return error!;
        }

        return ListMoveCommands.PopFirstNonEmpty(keys, sourceKeys, left, count, now) ?? WouldBlock;
    }

    /// <summary>BZPOPMIN / BZPOPMAX key... timeout: <c>[key, member, score]</c>.</summary>
    public static Reply SortedSetPop(KeyTable keys, byte[][] args, long now, bool max)
    {
        if (!TryParseTimeout(args[^1], out var error))
        {
            return error!;
        }

        var popped = SortedSetCommands.PopFirstNonEmpty(keys, args[..^1], max, 1, now);
        if (popped is ArrayReply { Items: [var key, ArrayReply { Items: [ArrayReply { Items: [var member, var score] }] }] })
        {
            return Reply.Array(key, member, score);
        }

        return popped ?? WouldBlock;
    }

    /// <summary>BZMPOP timeout numkeys key... MIN|MAX [COUNT n].</summary>
    public static Reply SortedSetMultiPop(KeyTable keys, byte[][] args, long now)
    {
        if (!TryParseTimeout(args[0], out var error)
            || !SortedSetCommands.TryParseMultiPop(args[1..], out var sourceKeys, out var max, out var count, out error))
        {
            return error!;
        }

        return SortedSetCommands.PopFirstNonEmpty(keys, sourceKeys, max, count, now) ?? WouldBlock;
    }

    /// <summary>
    /// A blocking timeout in seconds as Redis 7.0 reads it (a long double; 0 waits forever), so that the
    /// node can rely on it. The node converts it to a deadline itself.
    /// </summary>
    public static bool TryParseTimeout(byte[] text, out Reply? error)
    {
        error = null;
        if (!RedisNumber.TryParseDouble(text, out var seconds))
        {
            error = Reply.Error(ErrorTexts.TimeoutNotFloat);
            return false;
        }

        var milliseconds = seconds * 1000.0;
        if (milliseconds > long.MaxValue)
        {
            error = Reply.Error(ErrorTexts.TimeoutOutOfRange);
            return false;
        }

        if (Math.Ceiling(milliseconds) < 0)
        {
            error = Reply.Error(ErrorTexts.TimeoutNegative);
            return false;
        }

        return true;
    }

    private static Reply MoveOrBlock(KeyTable keys, byte[][] args, long now, bool fromLeft, bool toLeft, byte[] timeout)
    {
        if (!TryParseTimeout(timeout, out var error))
        {
            return error!;
        }

        if (!TypedEntry.TryAs(keys.FindForWrite(args[0], now), out ListValue? _))
        {
            return SourceOfOtherType;
        }

        var moved = ListMoveCommands.MoveOne(keys, args[0], args[1], fromLeft, toLeft, now);
        return moved is NullReply ? WouldBlock : moved;
    }
}
