using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Locks;
using RaftKV.StateMachine.Numbers;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// RAFTKV.LOCK.ACQUIRE / RELEASE / REFRESH / OWNER: leases with fencing tokens (see <see cref="LockTable"/> for
/// what a token means). A wrong owner gets an error and changes nothing. Writes drop the named lock first when it
/// has expired by the entry's time, so an expired lock is free to everyone. A grant, release or refresh is reported as a
/// keyspace event of the generic class on the lock's name: "lock_acquire" (a retry by the owner too), "lock_release",
/// "lock_refresh" (Redis has no locks, hence no names of its own for these).
/// </summary>
internal static class LockCommands
{
    /// <summary>How many expired locks a grant reclaims at most, besides the one it takes.</summary>
    public const int ReclaimLimit = 16;

    public static Reply Dispatch(LockTable locks, KeyspaceNotifier events, CommandId command, byte[][] args, long now, long entryIndex)
    {
        var reply = command switch
        {
            CommandId.RaftkvLockAcquire => Acquire(locks, args, now, entryIndex),
            CommandId.RaftkvLockRelease => Release(locks, args, now),
            CommandId.RaftkvLockRefresh => Refresh(locks, args, now),
            CommandId.RaftkvLockOwner => Owner(locks, args, now),
            _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Not a lock command."),
        };
        var name = command switch
        {
            CommandId.RaftkvLockAcquire when reply is IntegerReply => "lock_acquire",
            CommandId.RaftkvLockRelease when reply is IntegerReply { Value: 1 } => "lock_release",
            CommandId.RaftkvLockRefresh when reply is IntegerReply => "lock_refresh",
            _ => null,
        };
        if (name is not null)
        {
            events.Notify(KeyspaceEvents.Generic, name, args[0]);
        }

        return reply;
    }

    /// <summary>
    /// The stateless checks of ACQUIRE, RELEASE and REFRESH: a non-empty owner (an unset client id must not match
    /// another's) and a ttl in 1..<see cref="LockTable.MaxTtlMs"/> ms.
    /// </summary>
    public static Reply? Validate(CommandId command, byte[][] args)
    {
        if (args[1].Length == 0)
        {
            return Reply.Error(ErrorTexts.EmptyLockOwner);
        }

        return command == CommandId.RaftkvLockRelease ? null : TryParseTtl(command, args[2], out _);
    }

    /// <summary>
    /// Free or expired: grant with a new token. Held by the same owner: a retry after an unknown outcome, so the
    /// same token and a lease that only grows. Held by another: LOCKED.
    /// </summary>
    private static Reply Acquire(LockTable locks, byte[][] args, long now, long entryIndex)
    {
        var ttl = Ttl(args[2]);
        var held = locks.FindForWrite(args[0], now);
        if (held is not null)
        {
            if (!held.IsOwnedBy(args[1]))
            {
                return Reply.Error(ErrorTexts.LockHeld);
            }

            locks.SetLease(held, Math.Max(held.ExpireAtMs, LockTable.LeaseEnd(now, ttl)), ttl);
            return Reply.Integer(held.Token);
        }

        locks.RemoveExpired(now, ReclaimLimit);
        return Reply.Integer(locks.Grant(args[0], args[1], now, ttl, entryIndex).Token);
    }

    /// <summary>1 when the owner's live lock was released; 0 when it is free or expired; NOTOWNER for another owner.</summary>
    private static Reply Release(LockTable locks, byte[][] args, long now)
    {
        var held = locks.FindForWrite(args[0], now);
        if (held is null)
        {
            return Reply.Zero;
        }

        if (!held.IsOwnedBy(args[1]))
        {
            return Reply.Error(ErrorTexts.NotLockOwner);
        }

        locks.Remove(held);
        return Reply.One;
    }

    /// <summary>The owner's live lock gets lease end now + ttl (which may shorten it) and keeps its token.</summary>
    private static Reply Refresh(LockTable locks, byte[][] args, long now)
    {
        var ttl = Ttl(args[2]);
        var held = locks.FindForWrite(args[0], now);
        if (held is null)
        {
            return Reply.Error(ErrorTexts.NoLock);
        }

        if (!held.IsOwnedBy(args[1]))
        {
            return Reply.Error(ErrorTexts.NotLockOwner);
        }

        locks.SetLease(held, LockTable.LeaseEnd(now, ttl), ttl);
        return Reply.Integer(held.Token);
    }

    /// <summary>[owner, token, remaining ms] of a live lock; the null array when it is free or expired.</summary>
    private static Reply Owner(LockTable locks, byte[][] args, long now) =>
        locks.FindLive(args[0], now) is { } held
            ? Reply.Array(Reply.Bulk(held.Owner), Reply.Integer(held.Token), Reply.Integer(held.ExpireAtMs - now))
            : Reply.NullArray;

    private static Reply? TryParseTtl(CommandId command, byte[] text, out long ttl)
    {
        if (!RedisIntegers.TryParse(text, out ttl))
        {
            return Reply.Error(ErrorTexts.NotInteger);
        }

        return ttl is > 0 and <= LockTable.MaxTtlMs
            ? null
            : Reply.Error(ErrorTexts.InvalidExpireTime(CommandValidator.Find(command)!.Name));
    }

    // Only called on arguments Validate has accepted.
    private static long Ttl(byte[] text) =>
        RedisIntegers.TryParse(text, out var ttl) ? ttl : throw new InvalidOperationException("Unvalidated ttl argument.");
}
