using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values.Streams;

namespace RaftKV.StateMachine.Commands.Streams;

/// <summary>
/// XADD's and XTRIM's options, parsed as Redis's streamParseAddOrTrimArgsOrReply: NOMKSTREAM (XADD), MAXLEN or MINID
/// with <c>=</c> or <c>~</c>, LIMIT (only with <c>~</c>; 10,000 by default with it), and for XADD the id, which ends the
/// options (<c>*</c>, <c>ms</c>, <c>ms-*</c> or <c>ms-seq</c>).
/// </summary>
internal sealed class StreamTrimOptions
{
    /// <summary>
    /// Redis's default LIMIT for approximate trimming: 100 nodes' worth, 100 * stream-node-max-entries, 10,000 when that
    /// is 0 and at most 1,000,000.
    /// </summary>
    private static long DefaultApproximateLimit
    {
        get
        {
            var entries = Configuration.EncodingLimits.Current.StreamNodeMaxEntries;
            return entries <= 0 ? 10_000 : entries >= 10_000 ? 1_000_000 : 100 * entries;
        }
    }

    public bool NoMakeStream { get; private set; }

    public bool HasStrategy { get; private set; }

    public long MaxLength { get; private set; }

    public StreamId? MinId { get; private set; }

    public bool Approximate { get; private set; }

    public long Limit { get; private set; }

    /// <summary>The XADD id, when one was given (not <c>*</c>).</summary>
    public StreamId? Id { get; private set; }

    /// <summary>False for <c>ms-*</c>, which leaves the sequence to the stream.</summary>
    public bool SeqGiven { get; private set; } = true;

    /// <summary>Where the XADD id is in the arguments (the key at 0); the field-value pairs follow it.</summary>
    public int IdIndex { get; private set; }

    public static bool TryParse(byte[][] args, bool add, out StreamTrimOptions options, out Reply? error)
    {
        options = new StreamTrimOptions();
        error = null;
        var limitGiven = false;
        var i = 1;
        for (; i < args.Length; i++)
        {
            var more = args.Length - 1 - i;
            var option = args[i];
            if (add && option is [(byte)'*'])
            {
                break;
            }

            if ((Keyword.Is(option, "maxlen"u8) || Keyword.Is(option, "minid"u8)) && more > 0)
            {
                var byId = Keyword.Is(option, "minid"u8);
                if (options.HasStrategy)
                {
                    return Fail(StreamErrors.TrimConflict, out error);
                }

                options.Approximate = false;
                if (more >= 2 && args[i + 1] is [(byte)'~'])
                {
                    options.Approximate = true;
                    i++;
                }
                else if (more >= 2 && args[i + 1] is [(byte)'='])
                {
                    i++;
                }

                if (byId)
                {
                    if (!StreamId.TryParse(args[i + 1], 0, strict: true, out var minId))
                    {
                        return Fail(StreamErrors.InvalidId, out error);
                    }

                    options.MinId = minId;
                }
                else
                {
                    if (!RedisIntegers.TryParse(args[i + 1], out var maxLength))
                    {
                        return Fail(ErrorTexts.NotInteger, out error);
                    }

                    if (maxLength < 0)
                    {
                        return Fail(StreamErrors.MaxLenNegative, out error);
                    }

                    options.MaxLength = maxLength;
                }

                i++;
                options.HasStrategy = true;
            }
            else if (Keyword.Is(option, "limit"u8) && more > 0)
            {
                if (!RedisIntegers.TryParse(args[i + 1], out var limit))
                {
                    return Fail(ErrorTexts.NotInteger, out error);
                }

                if (limit < 0)
                {
                    return Fail(StreamErrors.LimitNegative, out error);
                }

                options.Limit = limit;
                limitGiven = true;
                i++;
            }
            else if (add && Keyword.Is(option, "nomkstream"u8))
            {
                options.NoMakeStream = true;
            }
            else if (add)
            {
                if (!StreamId.TryParse(option, 0, strict: true, allowSeqWildcard: true, out var id, out var seqGiven))
                {
                    return Fail(StreamErrors.InvalidId, out error);
                }

                options.Id = id;
                options.SeqGiven = seqGiven;
                break;
            }
            else
            {
                return Fail(ErrorTexts.Syntax, out error);
            }
        }

        options.IdIndex = i;
        if (options.Limit != 0 && !options.HasStrategy)
        {
            return Fail(StreamErrors.LimitWithoutStrategy, out error);
        }

        if (!add && !options.HasStrategy)
        {
            return Fail(StreamErrors.TrimWithoutStrategy, out error);
        }

        if (limitGiven && !options.Approximate)
        {
            return Fail(StreamErrors.LimitWithoutApprox, out error);
        }

        if (!limitGiven && options.Approximate)
        {
            options.Limit = DefaultApproximateLimit;
        }

        if (add)
        {
            var fields = args.Length - i - 1;
            if (fields < 2 || fields % 2 == 1)
            {
                return Fail(ErrorTexts.WrongArity("xadd"), out error);
            }

            if (options.Id is { IsZero: true } && options.SeqGiven)
            {
                return Fail(StreamErrors.AddIdZero, out error);
            }
        }

        return true;
    }

    /// <summary>Trims <paramref name="stream"/> as these options say; returns the entries removed.</summary>
    public long Apply(StreamValue stream) => HasStrategy ? stream.Trim(MaxLength, MinId, Approximate, Limit) : 0;

    private static bool Fail(string message, out Reply? error)
    {
        error = Reply.Error(message);
        return false;
    }
}
