using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Ordering;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// SSCAN, HSCAN and ZSCAN. As in Redis 7.0, a compact representation (intset, listpack) is returned whole with
/// cursor 0, ignoring COUNT and the cursor. A large one is walked in its scan order (<see cref="ElementScanIndex"/>:
/// a stable hash of the element, the same on every replica), and the cursor is a position in that order
/// (<see cref="PositionScan"/>): an element present from the first call to the last is returned at least once,
/// whatever is added or removed meanwhile, whichever replica serves each call, and across a conversion to the large
/// representation (a scan that meets the compact one ends there, having returned everything).
/// </summary>
internal static class ElementScan
{
    public static readonly Reply EmptyScan = Reply.Array(Reply.Bulk("0"u8.ToArray()), Reply.EmptyArray);

    /// <summary>The cursor argument, parsed before the key is looked up, as Redis does.</summary>
    public static bool TryParseCursor(byte[] text, out ulong cursor, out Reply? error)
    {
        error = RedisIntegers.TryParseCursor(text, out cursor) ? null : Reply.Error(ErrorTexts.InvalidCursor);
        return error is null;
    }

    /// <summary>
    /// A compact container's scan: every one of <paramref name="items"/> whose <paramref name="nameOf"/> matches
    /// <c>MATCH</c>, replied with <paramref name="render"/>, and cursor 0. args[2..] are the options.
    /// </summary>
    public static Reply Whole<T>(byte[][] args, IEnumerable<T> items, Func<T, byte[]> nameOf, Func<T, IEnumerable<Reply>> render)
    {
        if (!TryParseOptions(args, out _, out var pattern, out var error))
        {
            return error!;
        }

        var replies = new List<Reply>();
        foreach (var item in items)
        {
            if (pattern is null || GlobPattern.IsMatch(pattern, nameOf(item)))
            {
                replies.AddRange(render(item));
            }
        }

        return Reply.Array(Reply.Bulk("0"u8.ToArray()), Reply.Array([.. replies]));
    }

    /// <summary>
    /// A large container's scan from <paramref name="cursor"/>: about COUNT elements of <paramref name="index"/>, those
    /// matching <c>MATCH</c> replied with <paramref name="render"/>, and the next cursor. args[2..] are the options.
    /// </summary>
    public static Reply Walk(byte[][] args, ulong cursor, ElementScanIndex index, Func<byte[], IEnumerable<Reply>> render)
    {
        if (!TryParseOptions(args, out var count, out var pattern, out var error))
        {
            return error!;
        }

        var slots = PositionScan.Take(index, cursor, count, out var next);
        var replies = new List<Reply>();
        foreach (var slot in slots)
        {
            if (pattern is null || GlobPattern.IsMatch(pattern, slot.Element))
            {
                replies.AddRange(render(slot.Element));
            }
        }

        return Reply.Array(Reply.Bulk(RedisIntegers.Format(next)), Reply.Array([.. replies]));
    }

    private static bool TryParseOptions(byte[][] args, out long count, out byte[]? pattern, out Reply? error)
    {
        count = KeyspaceCommands.DefaultScanCount;
        pattern = null;
        error = null;
        for (var i = 2; i < args.Length; i += 2)
        {
            var hasValue = i + 1 < args.Length;
            if (Keyword.Is(args[i], "COUNT"u8) && hasValue)
            {
                if (!RedisIntegers.TryParse(args[i + 1], out count))
                {
                    error = Reply.Error(ErrorTexts.NotInteger);
                    return false;
                }

                if (count < 1)
                {
                    error = Reply.Error(ErrorTexts.Syntax);
                    return false;
                }
            }
            else if (Keyword.Is(args[i], "MATCH"u8) && hasValue)
            {
                pattern = GlobPattern.MatchesAll(args[i + 1]) ? null : args[i + 1];
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
