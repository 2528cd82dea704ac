using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Numbers;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// Reading an expiry argument of SET, SETEX, PSETEX and GETEX as Redis 7.0 reads it: an integer, greater
/// than 0, in seconds no more than long.MaxValue / 1000; a relative one must not overflow when added to
/// now. The first checks need no state (<see cref="TryParse"/>), the last needs the time (<see cref="TryToAbsolute"/>).
/// </summary>
internal static class ExpireTime
{
    public static bool IsSeconds(ExpireUnit unit) => unit is ExpireUnit.Seconds or ExpireUnit.UnixSeconds;

    public static bool IsRelative(ExpireUnit unit) => unit is ExpireUnit.Seconds or ExpireUnit.Milliseconds;

    /// <summary>Parses the expiry value; the error names <paramref name="command"/> as Redis does ('set', 'setex', ...).</summary>
    public static bool TryParse(byte[] text, ExpireUnit unit, string command, out long value, out Reply? error)
    {
        error = null;
        if (!RedisIntegers.TryParse(text, out value))
        {
            error = Reply.Error(ErrorTexts.NotInteger);
            return false;
        }

        if (value <= 0 || (IsSeconds(unit) && value > long.MaxValue / 1000))
        {
            error = Reply.Error(ErrorTexts.InvalidExpireTime(command));
            return false;
        }

        return true;
    }

    /// <summary>
    /// The absolute expiry (Unix ms) of a value <see cref="TryParse"/> accepted, at <paramref name="nowMs"/>;
    /// false when a relative one overflows.
    /// </summary>
    public static bool TryToAbsolute(ExpireUnit unit, long value, long nowMs, out long expireAtMs)
    {
        var milliseconds = IsSeconds(unit) ? value * 1000 : value;
        if (!IsRelative(unit))
        {
            expireAtMs = milliseconds;
            return true;
        }

        expireAtMs = 0;
        if (milliseconds > long.MaxValue - nowMs)
        {
            return false;
        }

        expireAtMs = nowMs + milliseconds;
        return true;
    }

    /// <summary>Milliseconds to seconds rounded half up, as TTL and EXPIRETIME reply; exact for every non-negative long.</summary>
    public static long RoundToSeconds(long milliseconds) => (milliseconds / 1000) + (((milliseconds % 1000) + 500) / 1000);

    /// <summary>The unit an EX, PX, EXAT or PXAT option names; false for any other word.</summary>
    public static bool TryParseUnit(byte[] option, out ExpireUnit unit)
    {
        unit = Text.Keyword.Is(option, "EX"u8) ? ExpireUnit.Seconds
            : Text.Keyword.Is(option, "PX"u8) ? ExpireUnit.Milliseconds
            : Text.Keyword.Is(option, "EXAT"u8) ? ExpireUnit.UnixSeconds
            : Text.Keyword.Is(option, "PXAT"u8) ? ExpireUnit.UnixMilliseconds
            : ExpireUnit.None;
        return unit != ExpireUnit.None;
    }
}
