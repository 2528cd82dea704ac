using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// SPOP and SRANDMEMBER. Members are chosen by position in canonical (ordinal) order with the entry's
/// seeded generator, so every replica pops the same members, whatever its set's representation.
/// </summary>
internal static class SetRandomCommands
{
    /// <summary>Redis rebuilds the set from the remainder when popping more than a fifth of it.</summary>
    private const int RebuildFactor = 5;

    private static readonly Reply EmptySet = new SetReply([]);

    public static Reply Pop(KeyTable keys, byte[][] args, long now, DeterministicRandom random)
    {
        if (args.Length > 2)
        {
            return Reply.Error(ErrorTexts.Syntax);
        }

        long count = 1;
        if (args.Length == 2 && (!RedisIntegers.TryParse(args[1], out count) || count < 0))
        {
            return Reply.Error(ErrorTexts.MustBePositive);
        }

        // SPOP with a count of 0 pops nothing (Redis signals no change).
        if (!TypedEntry.TryAs(keys.FindForWriteUnless(args[0], now, _ => args.Length == 2 && count == 0), out SetValue? set))
        {
            return TypedEntry.WrongType;
        }

        if (set is null)
        {
            return args.Length == 2 ? EmptySet : Reply.Null;
        }

        var canonical = set.Canonical();
        if (args.Length == 1)
        {
            var member = canonical[random.Next(canonical.Count)];
            set.Remove(member);
            keys.Notify(KeyspaceEvents.Set, "spop", args[0]);
            TypedEntry.DeleteIfEmpty(keys, args[0], set.Count);
            return Reply.Bulk(member);
        }

        if (count == 0)
        {
            return EmptySet;
        }

        keys.Notify(KeyspaceEvents.Set, "spop", args[0]);
        if (count >= set.Count)
        {
            keys.Remove(args[0]);
            keys.Notify(KeyspaceEvents.Generic, "del", args[0]);
            return new SetReply([.. set.ReplyOrder().Select(Reply.Bulk)]);
        }

        var size = canonical.Count;
        var chosen = RandomChoice.Distinct(size, (int)count, random).Select(i => canonical[i]).ToArray();
        set.RemoveMany(chosen);

        if (count * RebuildFactor > size)
        {
            // Redis builds a new set from the members that stay (setTypeCreate): an intset again when they
            // are all integers. The result depends only on the members, never on the old representation.
            var remaining = set.Canonical().ToArray();
            var rebuilt = SetValue.CreateFor(remaining[0]);
            foreach (var member in remaining)
            {
                rebuilt.Add(member);
            }

            keys.Put(args[0], rebuilt, keys.Find(args[0])!.ExpireAtMs);
        }

        return new SetReply([.. chosen.Select(Reply.Bulk)]);
    }

    public static Reply RandomMember(KeyTable keys, byte[][] args, long now, DeterministicRandom random)
    {
        long count = 0;
        if (args.Length >= 2 && !RandomChoice.TryParseCount(args, [], out count, out _, out var error))
        {
            return error!;
        }

        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out SetValue? set))
        {
            return TypedEntry.WrongType;
        }

        if (args.Length == 1)
        {
            return set is null ? Reply.Null : Reply.Bulk(set.Canonical()[random.Next(set.Count)]);
        }

        if (set is null || count == 0)
        {
            return Reply.EmptyArray;
        }

        var canonical = set.Canonical();
        if (count < 0)
        {
            return Reply.Array([.. RandomChoice.WithRepetition(canonical.Count, -count, random).Select(i => Reply.Bulk(canonical[i]))]);
        }

        if (count >= set.Count)
        {
            return Reply.Array([.. set.ReplyOrder().Select(Reply.Bulk)]);
        }

        return Reply.Array([.. RandomChoice.Distinct(canonical.Count, (int)count, random).Select(i => Reply.Bulk(canonical[i]))]);
    }
}
