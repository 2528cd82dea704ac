using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Commands;

/// <summary>How SET's expiry argument is to be read.</summary>
internal enum ExpireUnit
{
    None,
    Seconds,
    Milliseconds,
    UnixSeconds,
    UnixMilliseconds,
    KeepTtl,
}

/// <summary>
/// SET's options, parsed as Redis 7.0's <c>parseExtendedStringArgumentsOrReply</c> parses them: NX and XX
/// exclude each other, one expiry option (a repeated one of the same kind wins last), GET anywhere.
/// </summary>
internal readonly record struct SetOptions(bool Nx, bool Xx, bool Get, ExpireUnit Unit, long ExpireValue)
{
    /// <summary>Parses <c>arguments[2..]</c> (arguments exclude the name: key, value, options...).</summary>
    public static bool TryParse(byte[][] arguments, out SetOptions options, out Reply? error)
    {
        options = default;
        error = null;
        bool nx = false, xx = false, get = false;
        var unit = ExpireUnit.None;
        byte[]? expireArgument = null;
        for (var i = 2; i < arguments.Length; i++)
        {
            var option = arguments[i];
            var hasNext = i + 1 < arguments.Length;
            if (Keyword.Is(option, "NX"u8) && !xx)
            {
                nx = true;
            }
            else if (Keyword.Is(option, "XX"u8) && !nx)
            {
                xx = true;
            }
            else if (Keyword.Is(option, "GET"u8))
            {
                get = true;
            }
            else if (Keyword.Is(option, "KEEPTTL"u8) && unit is ExpireUnit.None or ExpireUnit.KeepTtl)
            {
                unit = ExpireUnit.KeepTtl;
            }
            else if (ExpireTime.TryParseUnit(option, out var optionUnit) && hasNext && (unit == ExpireUnit.None || unit == optionUnit))
            {
                unit = optionUnit;
                expireArgument = arguments[++i];
            }
            else
            {
                error = Reply.Error(ErrorTexts.Syntax);
                return false;
            }
        }

        // Like Redis, the whole option list is checked for syntax before the expiry value is read.
        long expire = 0;
        if (expireArgument is not null && !ExpireTime.TryParse(expireArgument, unit, "set", out expire, out error))
        {
            return false;
        }

        options = new SetOptions(nx, xx, get, unit, expire);
        return true;
    }

    /// <summary>
    /// The absolute expiry (Unix ms) these options give at <paramref name="nowMs"/>, or
    /// <see cref="Keyspace.KeyEntry.NoExpiry"/>; false when a relative expiry overflows.
    /// </summary>
    public bool TryGetExpireAt(long nowMs, out long expireAtMs)
    {
        expireAtMs = Keyspace.KeyEntry.NoExpiry;
        return Unit is ExpireUnit.None or ExpireUnit.KeepTtl || ExpireTime.TryToAbsolute(Unit, ExpireValue, nowMs, out expireAtMs);
    }
}
