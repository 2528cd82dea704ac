using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;
using RaftKV.StateMachine;

namespace RaftKV.Node.Execution;

/// <summary>
/// Where a blocking command keeps its keys and its timeout (seconds, 0 = forever; XREAD and XREADGROUP: BLOCK
/// milliseconds). XREAD and XREADGROUP block only with BLOCK: without it <see cref="TryParse"/> answers false.
/// </summary>
internal static class BlockingCommand
{
    public const string StreamKeyGone = "UNBLOCKED the stream key no longer exists";
    public const string StreamGroupGone = "NOGROUP the consumer group this client was blocked on no longer exists";

    public static bool IsBlocking(CommandId id) => id is CommandId.Blpop or CommandId.Brpop or CommandId.Blmove
        or CommandId.Brpoplpush or CommandId.Blmpop or CommandId.Bzpopmin or CommandId.Bzpopmax or CommandId.Bzmpop
        or CommandId.Xread or CommandId.Xreadgroup;

    /// <param name="arguments">The whole request, the command name at index 0.</param>
    public static bool TryParse(CommandId id, byte[][] arguments, out IReadOnlyList<byte[]> keys, out TimeSpan? timeout)
    {
        keys = [];
        timeout = null;
        byte[] seconds;
        switch (id)
        {
            case CommandId.Blpop or CommandId.Brpop or CommandId.Bzpopmin or CommandId.Bzpopmax:
                keys = arguments[1..^1];
                seconds = arguments[^1];
                break;
            case CommandId.Blmove or CommandId.Brpoplpush:
                keys = [arguments[1]];
                seconds = arguments[^1];
                break;
            case CommandId.Xread or CommandId.Xreadgroup:
                return TryParseStreamRead(arguments, out keys, out timeout);
            case CommandId.Blmpop or CommandId.Bzmpop:
                if (!RedisNumber.TryParseLong(arguments[2], out var count) || count < 1 || count > arguments.Length - 3)
                    return false;
                keys = arguments[3..(3 + (int)count)];
                seconds = arguments[1];
                break;
            default:
                return false;
        }

        // Milliseconds beyond a long are refused by the state machine's own parse ("timeout is out of range"): returning
        // false sends the command there instead of blocking.
        if (!RedisNumber.TryParseDouble(seconds, out var value) || value < 0 || double.IsInfinity(value) || value * 1000.0 > long.MaxValue)
            return false;
        timeout = value == 0 || value * 1000.0 > LongestWait.TotalMilliseconds ? null : TimeSpan.FromSeconds(value);
        return true;
    }

    /// <summary>
    /// The longest timeout waited as such: a .NET timer (CancelAfter) takes at most about 49.7 days, and a forwarded
    /// command waits the command timeout on top. A longer one (Redis blocks for it) is waited without a deadline, which
    /// no client can tell apart; it used to throw from CancelAfter or TimeSpan and answer "-ERR internal error".
    /// </summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(45);

    /// <summary>Whether <see cref="AfterWake"/> needs to know if the command's keys all hold streams (a NOGROUP reply).</summary>
    public static bool AsksKeyTypes(CommandId id, Reply reply) =>
        id == CommandId.Xreadgroup && reply is ErrorReply error && error.Message.StartsWith("NOGROUP", StringComparison.Ordinal);

    /// <summary>
    /// What a woken client gets from its retry's <paramref name="reply"/>, as Redis 7.0 serves blocked clients: a pop
    /// whose key now holds another type keeps waiting (Redis serves a blocked client only from a key of its type;
    /// BLMOVE's destination of another type is an error, as in Redis), XREAD keeps waiting (the null array) while a key
    /// holds another type; XREADGROUP is unblocked with an error when its key is gone or changed type, or when its
    /// group was destroyed.
    /// </summary>
    /// <param name="keysAreStreams">Whether every key still holds a stream (needed only where <see cref="AsksKeyTypes"/>).</param>
    public static Reply AfterWake(CommandId id, Reply reply, bool keysAreStreams)
    {
        if (reply is not ErrorReply error)
            return reply;
        var wrongType = error.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal);
        return id switch
        {
            CommandId.Blpop or CommandId.Brpop or CommandId.Blmpop or CommandId.Bzpopmin or CommandId.Bzpopmax
                or CommandId.Bzmpop when wrongType => Reply.NullArray,
            // Decided by the retry's own entry: a read of the source after it (as before) could see a later write.
            CommandId.Blmove or CommandId.Brpoplpush when KeyValueStore.IsBlockedSourceOfOtherType(reply) => Reply.NullArray,
            CommandId.Xread when wrongType => Reply.NullArray,
            CommandId.Xreadgroup when wrongType => Reply.Error(StreamKeyGone),
            CommandId.Xreadgroup when error.Message.StartsWith("NOGROUP", StringComparison.Ordinal) =>
                Reply.Error(keysAreStreams ? StreamGroupGone : StreamKeyGone),
            _ => reply,
        };
    }

    // XREAD/XREADGROUP [GROUP g c] [COUNT n] [BLOCK ms] [NOACK] STREAMS key... id...: the options end at STREAMS.
    private static bool TryParseStreamRead(byte[][] arguments, out IReadOnlyList<byte[]> keys, out TimeSpan? timeout)
    {
        keys = [];
        timeout = null;
        long? block = null;
        for (var i = 1; i < arguments.Length; i++)
        {
            var option = System.Text.Encoding.ASCII.GetString(arguments[i]).ToUpperInvariant();
            switch (option)
            {
                case "BLOCK" when i + 1 < arguments.Length:
                    if (!RedisNumber.TryParseLong(arguments[++i], out var ms) || ms < 0)
                        return false;
                    block = ms;
                    break;
                case "COUNT" when i + 1 < arguments.Length:
                    i++;
                    break;
                case "GROUP" when i + 2 < arguments.Length:
                    i += 2;
                    break;
                case "NOACK":
                    break;
                case "STREAMS":
                    var count = (arguments.Length - i - 1) / 2;
                    if (block is not { } limit || count == 0)
                        return false;
                    keys = arguments[(i + 1)..(i + 1 + count)];
                    timeout = limit == 0 || limit > LongestWait.TotalMilliseconds ? null : TimeSpan.FromMilliseconds(limit);
                    return true;
                default:
                    return false;
            }
        }

        return false;
    }
}
