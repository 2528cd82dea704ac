using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>SETEX, PSETEX and GETEX with Redis 7.0 semantics (SET's own expiry options are in <see cref="SetOptions"/>).</summary>
internal static class StringExpiryCommands
{
    /// <summary>SETEX and PSETEX: key, time (seconds or ms, relative), value.</summary>
    public static Reply SetEx(KeyTable keys, byte[][] args, long now, ExpireUnit unit, string command)
    {
        if (!ExpireTime.TryParse(args[1], unit, command, out var value, out var error))
        {
            return error!;
        }

        if (!ExpireTime.TryToAbsolute(unit, value, now, out var expireAt))
        {
            return Reply.Error(ErrorTexts.InvalidExpireTime(command));
        }

        keys.Put(args[0], StringValue.Of(args[2]), expireAt);
        keys.Notify(KeyspaceEvents.String, "set", args[0]);
        keys.Notify(KeyspaceEvents.Generic, "expire", args[0]);
        return Reply.Ok;
    }

    /// <summary>
    /// GETEX: the options' syntax is checked first; then, as Redis, a missing key answers nil and another
    /// type WRONGTYPE before the time itself is read; a time at or before now deletes the key (the reply is
    /// still its value).
    /// </summary>
    public static Reply GetEx(KeyTable keys, byte[][] args, long now)
    {
        if (!TryParseGetEx(args, out var unit, out var expireArgument, out var persist, out var syntaxError))
        {
            return syntaxError!;
        }

        // Without a time, with a time that is not valid, and PERSIST of a key without one, GETEX changes nothing (Redis
        // signals no change).
        var timeValid = expireArgument is null
            || (ExpireTime.TryParse(expireArgument, unit, "getex", out var parsed, out _) && ExpireTime.TryToAbsolute(unit, parsed, now, out _));
        var entry = keys.FindForWriteUnless(args[0], now,
            e => e.Value is not StringValue || (expireArgument is null ? !(persist && e.HasExpiry) : !timeValid));
        if (entry is null)
        {
            return Reply.Null;
        }

        if (entry.Value is not StringValue value)
        {
            return TypedEntry.WrongType;
        }

        if (expireArgument is not null)
        {
            if (!ExpireTime.TryParse(expireArgument, unit, "getex", out var time, out var error))
            {
                return error!;
            }

            if (!ExpireTime.TryToAbsolute(unit, time, now, out var expireAt))
            {
                return Reply.Error(ErrorTexts.InvalidExpireTime("getex"));
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
        }
        else if (persist && entry.HasExpiry)
        {
            keys.SetExpiry(entry, KeyEntry.NoExpiry);
            keys.Notify(KeyspaceEvents.Generic, "persist", args[0]);
        }

        return Reply.Bulk(value.Bytes);
    }

    /// <summary>
    /// GETEX's options (<c>args[1..]</c>): one of EX, PX, EXAT, PXAT (the same one may repeat, the last
    /// wins) or PERSIST (may repeat); anything else is a syntax error. The time is returned unread.
    /// </summary>
    public static bool TryParseGetEx(byte[][] args, out ExpireUnit unit, out byte[]? expireArgument, out bool persist, out Reply? error)
    {
        unit = ExpireUnit.None;
        expireArgument = null;
        persist = false;
        error = null;
        for (var i = 1; i < args.Length; i++)
        {
            var option = args[i];
            if (ExpireTime.TryParseUnit(option, out var optionUnit) && i + 1 < args.Length && !persist
                && (unit == ExpireUnit.None || unit == optionUnit))
            {
                unit = optionUnit;
                expireArgument = args[++i];
            }
            else if (Keyword.Is(option, "PERSIST"u8) && unit == ExpireUnit.None)
            {
                persist = true;
            }
            else
            {
                error = Reply.Error(ErrorTexts.Syntax);
                return false;
            }
        }

        return true;
    }
}
