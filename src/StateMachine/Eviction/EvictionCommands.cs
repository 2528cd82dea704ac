using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;

namespace RaftKV.StateMachine.Eviction;

/// <summary>The Evict entry's apply (<see cref="RaftKV.Protocol.Commands.CommandId.Evict"/>).</summary>
internal static class EvictionCommands
{
    /// <summary>
    /// Deletes each named key that is present (under a volatile policy, only if it still has an expiry), with an
    /// <c>evicted</c> keyspace event; the reply is how many were deleted. Keys changed since the leader chose them are
    /// still evicted, as one evicted in Redis just before such a write would have been.
    /// </summary>
    public static Reply Evict(KeyTable keys, byte[][] args)
    {
        var volatileOnly = args[0].AsSpan().SequenceEqual("volatile"u8);
        long evicted = 0;
        foreach (var key in args.AsSpan(1))
        {
            if (keys.Find(key) is { } entry && (!volatileOnly || entry.HasExpiry) && keys.RemoveEvicted(key))
            {
                evicted++;
            }
        }

        return Reply.Integer(evicted);
    }
}
