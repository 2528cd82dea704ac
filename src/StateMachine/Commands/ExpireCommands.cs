using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME and PERSIST with Redis 7.0
/// semantics, and the internal expiry sweep. A relative time counts from the entry's timestamp; the leader
/// normally has rewritten it to an absolute one already (<see cref="LogForm"/>). A time at or before now
/// deletes the key, as Redis does on a master.
/// </summary>
internal static class ExpireCommands
{
    /// <summary>
    /// The checks that need no state, in Redis's order: the options, the integer, the seconds range. Gives
    /// the time in milliseconds, still relative for EXPIRE and PEXPIRE.
    /// </summary>
    public static bool TryParse(byte[][] args, ExpireUnit unit, string command, out ExpireOptions options, out long milliseconds, out Reply? error)
    {
        milliseconds = 0;
        if (!ExpireOptions.TryParse(args, out options, out error))
        {
            return false;
        }

        if (!RedisIntegers.TryParse(args[1], out milliseconds))
        {
            error = Reply.Error(ErrorTexts.NotInteger);
            return false;
        }

        if (ExpireTime.IsSeconds(unit))
        {
            if (milliseconds > long.MaxValue / 1000 || milliseconds < long.MinValue / 1000)
            {
                error = Reply.Error(ErrorTexts.InvalidExpireTime(command));
                return false;
            }

            milliseconds *= 1000;
        }

        return true;
    }

    /// <summary>
    /// The absolute time (Unix ms) an EXPIRE-family command asks for at <paramref name="nowMs"/>, or false
    /// with the error Redis gives (a relative time whose sum with now overflows is an invalid expire time).
    /// </summary>
    public static bool TryGetExpireAt(byte[][] args, ExpireUnit unit, string command, long nowMs, out ExpireOptions options, out long expireAtMs, out Reply? error)
    {
        expireAtMs = 0;
        if (!TryParse(args, unit, command, out options, out var milliseconds, out error))
        {
            return false;
        }

        if (ExpireTime.IsRelative(unit))
        {
            if (milliseconds > long.MaxValue - nowMs)
            {
                error = Reply.Error(ErrorTexts.InvalidExpireTime(command));
                return false;
            }

            milliseconds += nowMs;
        }

        expireAtMs = milliseconds;
        return true;
    }

    public static Reply Expire(KeyTable keys, byte[][] args, long now, ExpireUnit unit, string command)
    {
        if (!TryGetExpireAt(args, unit, command, now, out var options, out var expireAt, out var error))
        {
            return error!;
        }

        // NX, XX, GT or LT refusing the new time changes nothing.
        var entry = keys.FindForWriteUnless(args[0], now, e => !options.Allows(e.ExpireAtMs, expireAt));
        if (entry is null || !options.Allows(entry.ExpireAtMs, expireAt))
        {
            return Reply.Zero;
        }

        if (expireAt <= now)
        {
            keys.Remove(args[0]);
            keys.Notify(KeyspaceEvents.Generic, "del", args[0]);
        }
        else
        {
            keys.SetExpiry(entry, expireAt);
            keys.Notify(KeyspaceEvents.Generic, "expire", args[0]);
        }

        return Reply.One;
    }

    /// <summary>TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing key, -1 for a key without expiry.</summary>
    public static Reply Ttl(KeyTable keys, byte[][] args, long now, bool milliseconds, bool absolute)
    {
        var entry = keys.Peek(args[0], now);
        if (entry is null)
        {
            return Reply.Integer(-2);
        }

        if (!entry.HasExpiry)
        {
            return Reply.Integer(-1);
        }

        var value = absolute ? entry.ExpireAtMs : Math.Max(entry.ExpireAtMs - now, 0);
        return Reply.Integer(milliseconds ? value : ExpireTime.RoundToSeconds(value));
    }

    public static Reply Persist(KeyTable keys, byte[][] args, long now)
    {
        var entry = keys.FindForWriteUnless(args[0], now, static e => !e.HasExpiry);
        if (entry is null || !entry.HasExpiry)
        {
            return Reply.Zero;
        }

        keys.SetExpiry(entry, KeyEntry.NoExpiry);
        keys.Notify(KeyspaceEvents.Generic, "persist", args[0]);
        return Reply.One;
    }

    /// <summary>
    /// The internal expiry sweep: deletes each listed key that is expired at <paramref name="now"/> (the
    /// entry's time) and answers how many it deleted. A key set again, or given a later expiry, between the
    /// leader's choice and this entry survives; a missing or repeated key counts once at most.
    /// </summary>
    public static Reply Sweep(KeyTable keys, byte[][] args, long now)
    {
        long deleted = 0;
        foreach (var key in args)
        {
            if (keys.Find(key) is { } entry && entry.IsExpiredAt(now))
            {
                keys.RemoveExpired(key);
                deleted++;
            }
        }

        return Reply.Integer(deleted);
    }
}
