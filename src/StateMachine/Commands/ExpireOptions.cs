using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// The conditions of EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT (NX XX GT LT), parsed as Redis 7.0 parses
/// them: every option is read first (an unknown one is refused by name), then NX with any other, then GT
/// with LT, are refused. A key without expiry counts as expiring never: GT never applies to it, LT always does.
/// </summary>
internal readonly record struct ExpireOptions(bool Nx, bool Xx, bool Gt, bool Lt)
{
    /// <summary>Parses <c>arguments[2..]</c> (arguments exclude the name: key, time, options...).</summary>
    public static bool TryParse(byte[][] arguments, out ExpireOptions options, out Reply? error)
    {
        options = default;
        error = null;
        bool nx = false, xx = false, gt = false, lt = false;
        for (var i = 2; i < arguments.Length; i++)
        {
            var option = arguments[i];
            if (Keyword.Is(option, "NX"u8))
            {
                nx = true;
            }
            else if (Keyword.Is(option, "XX"u8))
            {
                xx = true;
            }
            else if (Keyword.Is(option, "GT"u8))
            {
                gt = true;
            }
            else if (Keyword.Is(option, "LT"u8))
            {
                lt = true;
            }
            else
            {
                error = Reply.Error(ErrorTexts.UnsupportedOption(option));
                return false;
            }
        }

        if (nx && (xx || gt || lt))
        {
            error = Reply.Error(ErrorTexts.ExpireNxConflict);
            return false;
        }

        if (gt && lt)
        {
            error = Reply.Error(ErrorTexts.ExpireGtLtConflict);
            return false;
        }

        options = new ExpireOptions(nx, xx, gt, lt);
        return true;
    }

    /// <summary>Whether the conditions let <paramref name="newExpireAtMs"/> replace <paramref name="currentExpireAtMs"/>.</summary>
    public bool Allows(long currentExpireAtMs, long newExpireAtMs)
    {
        var hasExpiry = currentExpireAtMs != KeyEntry.NoExpiry;
        return !(Nx && hasExpiry)
            && !(Xx && !hasExpiry)
            && !(Gt && (!hasExpiry || newExpireAtMs <= currentExpireAtMs))
            && !(Lt && hasExpiry && newExpireAtMs >= currentExpireAtMs);
    }
}
