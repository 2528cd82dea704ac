using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;

namespace RaftKV.StateMachine.Eviction;

/// <summary>The Evict entry's apply (<see cref="RaftKV.Protocol.Commands.CommandId.Evict"/>).</summary>
internal static class EvictionCommands
{
    /// <summary>
    /// The arguments are the scope (<c>volatile</c>: only keys that still have an expiry; or <c>allkeys</c>) and pairs of
    /// key and the key's revision when the leader chose it. Each key still at that revision is deleted, with an
    /// <c>evicted</c> keyspace event: a key written since was used after the choice, as Redis would not evict it then.
    /// Nothing is deleted once maxmemory is 0 or the policy is noeviction (both replicated configuration), and only keys
    /// with an expiry once the policy is a volatile one. The reply is how many were deleted.
    /// </summary>
    public static Reply Evict(KeyTable keys, byte[][] args, bool enabled, bool policyIsVolatile)
    {
        var scope = args[0].AsSpan();
        if (args.Length % 2 != 1 || !(scope.SequenceEqual("volatile"u8) || scope.SequenceEqual("allkeys"u8)))
        {
            return Reply.Error(Commands.ErrorTexts.WrongArity("evict"));
        }

        if (!enabled)
        {
            return Reply.Zero;
        }

        // A volatile policy committed since the choice still spares keys without expiry.
        var volatileOnly = scope.SequenceEqual("volatile"u8) || policyIsVolatile;
        long evicted = 0;
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            var key = args[i];
            if (keys.Find(key) is { } entry && (!volatileOnly || entry.HasExpiry)
                && Numbers.RedisIntegers.TryParse(args[i + 1], out var revision) && entry.Revision == revision && keys.RemoveEvicted(key))
            {
                evicted++;
            }
        }

        return Reply.Integer(evicted);
    }
}
