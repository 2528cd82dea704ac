using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values.Streams;

namespace RaftKV.StateMachine.Commands.Streams;

/// <summary>
/// XCLAIM and XAUTOCLAIM with Redis 7.0 semantics: idle times are measured against the applying entry's timestamp, and
/// XAUTOCLAIM answers the ids of deleted entries it dropped from the pending list as its third element.
/// </summary>
internal static class StreamClaimCommands
{
    // Redis's attempts_factor: XAUTOCLAIM looks at up to COUNT * 10 pending entries.
    private const long AttemptsFactor = 10;

    public static Reply Claim(KeyTable keys, byte[][] args, long now)
    {
        if (!StreamReplies.TryRead(keys, args[0], now, out var stream))
        {
            return TypedEntry.WrongType;
        }

        if (stream?.FindGroup(args[1]) is null)
        {
            return Reply.Error(StreamErrors.NoKeyOrGroup(args[0], args[1]));
        }

        if (!RedisIntegers.TryParse(args[3], out var minIdle))
        {
            return Reply.Error(StreamErrors.ClaimMinIdle);
        }

        minIdle = Math.Max(minIdle, 0);
        var ids = new List<StreamId>();
        var j = 4;
        for (; j < args.Length && StreamId.TryParse(args[j], 0, strict: true, out var id); j++)
        {
            ids.Add(id);
        }

        long retryCount = -1, deliveryTime = -1;
        bool force = false, justId = false;
        var lastId = StreamId.Zero;
        for (; j < args.Length; j++)
        {
            var more = args.Length - 1 - j;
            var option = args[j];
            if (Keyword.Is(option, "force"u8))
            {
                force = true;
            }
            else if (Keyword.Is(option, "justid"u8))
            {
                justId = true;
            }
            else if (Keyword.Is(option, "idle"u8) && more > 0)
            {
                if (!RedisIntegers.TryParse(args[++j], out var idle))
                {
                    return Reply.Error(StreamErrors.ClaimOption("IDLE"));
                }

                deliveryTime = now - idle;
            }
            else if (Keyword.Is(option, "time"u8) && more > 0)
            {
                if (!RedisIntegers.TryParse(args[++j], out deliveryTime))
                {
                    return Reply.Error(StreamErrors.ClaimOption("TIME"));
                }
            }
            else if (Keyword.Is(option, "retrycount"u8) && more > 0)
            {
                if (!RedisIntegers.TryParse(args[++j], out retryCount))
                {
                    return Reply.Error(StreamErrors.ClaimOption("RETRYCOUNT"));
                }
            }
            else if (Keyword.Is(option, "lastid"u8) && more > 0)
            {
                if (!StreamId.TryParse(args[++j], 0, strict: true, out lastId))
                {
                    return Reply.Error(StreamErrors.InvalidId);
                }
            }
            else
            {
                return Reply.Error(StreamErrors.UnrecognizedClaimOption(option));
            }
        }

        StreamReplies.TryWrite(keys, args[0], now, out stream);
        var group = stream!.FindGroup(args[1])!;
        if (lastId > group.LastId)
        {
            group.LastId = lastId;
        }

        if (deliveryTime == -1 || deliveryTime < 0 || deliveryTime > now)
        {
            deliveryTime = now;
        }

        StreamConsumer? consumer = null;
        var items = new List<Reply>();
        foreach (var id in ids)
        {
            var pending = group.FindPending(id);
            if (stream.Find(id) is not { } entry)
            {
                if (pending is not null)
                {
                    group.RemovePending(pending);
                }

                continue;
            }

            var created = false;
            if (force && pending is null)
            {
                consumer ??= StreamReplies.TouchConsumer(keys, args[0], group, args[2], now);
                pending = new PendingEntry(id, consumer, deliveryTime, 1);
                group.Pending.Add(pending);
                consumer.Pending.Add(pending);
                created = true;
            }

            if (pending is null)
            {
                continue;
            }

            if (!created && minIdle != 0 && now - pending.DeliveryTime < minIdle)
            {
                continue;
            }

            consumer ??= StreamReplies.TouchConsumer(keys, args[0], group, args[2], now);
            StreamGroup.Reassign(pending, consumer);
            pending.DeliveryTime = deliveryTime;
            if (retryCount >= 0)
            {
                pending.DeliveryCount = retryCount;
            }
            else if (!justId)
            {
                pending.DeliveryCount++;
            }

            items.Add(justId ? StreamReplies.Id(id) : StreamReplies.Entry(entry));
        }

        return Reply.Array([.. items]);
    }

    public static Reply AutoClaim(KeyTable keys, byte[][] args, long now)
    {
        if (!RedisIntegers.TryParse(args[3], out var minIdle))
        {
            return Reply.Error(StreamErrors.AutoClaimMinIdle);
        }

        minIdle = Math.Max(minIdle, 0);
        if (!StreamReplies.TryParseBound(args[4], start: true, out var start, out var error))
        {
            return error!;
        }

        long count = 100;
        var justId = false;
        for (var j = 5; j < args.Length; j++)
        {
            if (Keyword.Is(args[j], "count"u8) && j + 1 < args.Length)
            {
                // Redis caps COUNT so that COUNT * 16 bytes of deleted ids fit a long.
                if (!RedisIntegers.TryParse(args[j + 1], out count) || count < 1 || count > long.MaxValue / 16)
                {
                    return Reply.Error(StreamErrors.AutoClaimCount);
                }

                j++;
            }
            else if (Keyword.Is(args[j], "justid"u8))
            {
                justId = true;
            }
            else
            {
                return Reply.Error(ErrorTexts.Syntax);
            }
        }

        if (!StreamReplies.TryRead(keys, args[0], now, out var stream))
        {
            return TypedEntry.WrongType;
        }

        if (stream?.FindGroup(args[1]) is null)
        {
            return Reply.Error(StreamErrors.NoKeyOrGroup(args[0], args[1]));
        }

        StreamReplies.TryWrite(keys, args[0], now, out stream);
        var group = stream!.FindGroup(args[1])!;
        var attempts = count * AttemptsFactor;
        StreamConsumer? consumer = null;
        var claimed = new List<Reply>();
        var deleted = new List<Reply>();
        var next = StreamId.Zero;

        // A copy of the candidates: the loop removes deleted entries from the pending list.
        var candidates = StreamGroup.From(group.Pending, start, StreamId.Max).Take((int)Math.Min(attempts + 1, int.MaxValue)).ToList();
        var index = 0;
        for (; index < candidates.Count && attempts > 0 && count > 0; index++)
        {
            attempts--;
            var pending = candidates[index];
            if (stream.Find(pending.Id) is not { } entry)
            {
                group.RemovePending(pending);
                deleted.Add(StreamReplies.Id(pending.Id));
                count--;
                continue;
            }

            if (minIdle != 0 && now - pending.DeliveryTime < minIdle)
            {
                continue;
            }

            consumer ??= StreamReplies.TouchConsumer(keys, args[0], group, args[2], now);
            StreamGroup.Reassign(pending, consumer);
            pending.DeliveryTime = now;
            if (!justId)
            {
                pending.DeliveryCount++;
            }

            claimed.Add(justId ? StreamReplies.Id(pending.Id) : StreamReplies.Entry(entry));
            count--;
        }

        if (index < candidates.Count)
        {
            next = candidates[index].Id;
        }

        return Reply.Array(StreamReplies.Id(next), Reply.Array([.. claimed]), Reply.Array([.. deleted]));
    }
}
