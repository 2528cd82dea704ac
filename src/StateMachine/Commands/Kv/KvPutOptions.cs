using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Commands.Kv;

/// <summary>
/// RAFTKV.KV.PUT's options after key and value: one of <c>PX ms</c> (relative) or <c>PXAT unix-ms</c>, one of NX or XX,
/// and PREVKV. Without PX/PXAT the key has no expiry afterwards (as SET without KEEPTTL).
/// </summary>
internal readonly record struct KvPutOptions(bool Nx, bool Xx, bool PrevKv, ExpireUnit Unit, long ExpireValue)
{
    private static readonly byte[] Pxat = "PXAT"u8.ToArray();

    /// <summary>Parses <c>arguments[from..]</c>; errors are Redis's (syntax error, not an integer, invalid expire time).</summary>
    public static bool TryParse(byte[][] arguments, int from, out KvPutOptions options, out Reply? error)
    {
        options = default;
        error = null;
        bool nx = false, xx = false, prev = false;
        var unit = ExpireUnit.None;
        long expire = 0;
        for (var i = from; i < arguments.Length; i++)
        {
            var option = arguments[i];
            if (Keyword.Is(option, "NX"u8) && !xx)
            {
                nx = true;
            }
            else if (Keyword.Is(option, "XX"u8) && !nx)
            {
                xx = true;
            }
            else if (Keyword.Is(option, "PREVKV"u8))
            {
                prev = true;
            }
            else if ((Keyword.Is(option, "PX"u8) || Keyword.Is(option, "PXAT"u8)) && unit == ExpireUnit.None && i + 1 < arguments.Length)
            {
                unit = Keyword.Is(option, "PX"u8) ? ExpireUnit.Milliseconds : ExpireUnit.UnixMilliseconds;
                if (!ExpireTime.TryParse(arguments[++i], unit, "raftkv.kv.put", out expire, out error))
                {
                    return false;
                }
            }
            else
            {
                error = Reply.Error(ErrorTexts.Syntax);
                return false;
            }
        }

        options = new KvPutOptions(nx, xx, prev, unit, expire);
        return true;
    }

    /// <summary>
    /// The log form of a PUT's arguments (<paramref name="arguments"/>[<paramref name="from"/>] is the key): a relative
    /// <c>PX ms</c> made <c>PXAT</c> at <paramref name="nowMs"/>; the same array when there is nothing to rewrite or the
    /// arguments would fail (applying them then gives the client the same error).
    /// </summary>
    public static byte[][] ToLogForm(byte[][] arguments, int from, int count, long nowMs)
    {
        if (!TryParse(arguments[..(from + count)], from + 2, out var options, out _) || options.Unit != ExpireUnit.Milliseconds
            || !ExpireTime.TryToAbsolute(options.Unit, options.ExpireValue, nowMs, out var expireAt))
        {
            return arguments;
        }

        var rewritten = (byte[][])arguments.Clone();
        for (var i = from + 2; i < from + count; i++)
        {
            if (Keyword.Is(rewritten[i], "PX"u8))
            {
                rewritten[i] = Pxat;
                rewritten[i + 1] = RedisIntegers.Format(expireAt);
                break;
            }
        }

        return rewritten;
    }
}
