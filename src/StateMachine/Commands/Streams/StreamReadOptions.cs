using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Commands.Streams;

/// <summary>
/// XREAD's and XREADGROUP's options, up to STREAMS (the stateless part of Redis's xreadCommand): BLOCK milliseconds,
/// COUNT, GROUP group consumer and NOACK (XREADGROUP only), then as many keys as ids.
/// </summary>
internal sealed class StreamReadOptions
{
    /// <summary>BLOCK's milliseconds (0 = forever), or -1 without BLOCK.</summary>
    public long BlockMs { get; private set; } = -1;

    /// <summary>COUNT (0 = no limit).</summary>
    public long Count { get; private set; }

    public byte[]? Group { get; private set; }

    public byte[]? Consumer { get; private set; }

    public bool NoAck { get; private set; }

    /// <summary>Where the first key is in the arguments (the name excluded).</summary>
    public int KeysStart { get; private set; }

    public int StreamCount { get; private set; }

    /// <summary>Where BLOCK's value is in the arguments, or -1.</summary>
    public int BlockIndex { get; private set; } = -1;

    public static bool TryParse(byte[][] args, bool group, out StreamReadOptions options, out Reply? error)
    {
        options = new StreamReadOptions();
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            var more = args.Length - i - 1;
            var option = args[i];
            if (Keyword.Is(option, "block"u8) && more > 0)
            {
                i++;
                if (!RedisIntegers.TryParse(args[i], out var block))
                {
                    return Fail(StreamErrors.TimeoutNotInteger, out error);
                }

                if (block < 0)
                {
                    return Fail(ErrorTexts.TimeoutNegative, out error);
                }

                options.BlockMs = block;
                options.BlockIndex = i;
            }
            else if (Keyword.Is(option, "count"u8) && more > 0)
            {
                i++;
                if (!RedisIntegers.TryParse(args[i], out var count))
                {
                    return Fail(ErrorTexts.NotInteger, out error);
                }

                options.Count = Math.Max(count, 0);
            }
            else if (Keyword.Is(option, "streams"u8) && more > 0)
            {
                options.KeysStart = i + 1;
                if (more % 2 != 0)
                {
                    return Fail(StreamErrors.Unbalanced, out error);
                }

                options.StreamCount = more / 2;
                break;
            }
            else if (Keyword.Is(option, "group"u8) && more >= 2)
            {
                if (!group)
                {
                    return Fail(StreamErrors.GroupOnlyInReadGroup, out error);
                }

                options.Group = args[i + 1];
                options.Consumer = args[i + 2];
                i += 2;
            }
            else if (Keyword.Is(option, "noack"u8))
            {
                if (!group)
                {
                    return Fail(StreamErrors.NoAckOnlyInReadGroup, out error);
                }

                options.NoAck = true;
            }
            else
            {
                return Fail(ErrorTexts.Syntax, out error);
            }
        }

        if (options.KeysStart == 0)
        {
            return Fail(ErrorTexts.Syntax, out error);
        }

        if (group && options.Group is null)
        {
            return Fail(StreamErrors.MissingGroup, out error);
        }

        return true;
    }

    public byte[] Key(byte[][] args, int stream) => args[KeysStart + stream];

    public byte[] Id(byte[][] args, int stream) => args[KeysStart + StreamCount + stream];

    private static bool Fail(string message, out Reply? error)
    {
        error = Reply.Error(message);
        return false;
    }
}
