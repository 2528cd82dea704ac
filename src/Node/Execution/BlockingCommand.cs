using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Execution;

/// <summary>Where a blocking command keeps its keys and its timeout (seconds, 0 = forever).</summary>
internal static class BlockingCommand
{
    public static bool IsBlocking(CommandId id) => id is CommandId.Blpop or CommandId.Brpop or CommandId.Blmove
        or CommandId.Brpoplpush or CommandId.Blmpop or CommandId.Bzpopmin or CommandId.Bzpopmax or CommandId.Bzmpop;

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
            case CommandId.Blmpop or CommandId.Bzmpop:
                if (!RedisNumber.TryParseLong(arguments[2], out var count) || count < 1 || count > arguments.Length - 3)
                    return false;
                keys = arguments[3..(3 + (int)count)];
                seconds = arguments[1];
                break;
            default:
                return false;
        }

        if (!RedisNumber.TryParseDouble(seconds, out var value) || value < 0 || double.IsInfinity(value))
            return false;
        timeout = value == 0 ? null : TimeSpan.FromSeconds(value);
        return true;
    }
}
