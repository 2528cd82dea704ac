using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// SSCAN, HSCAN and ZSCAN. As in Redis 7.0, a compact representation (intset, listpack) is returned whole
/// with cursor 0, ignoring COUNT. A large one is walked in canonical order and the cursor is the position
/// of the next element: every element present throughout a full scan is returned at least once as long as
/// no element before the cursor is removed meanwhile (a removal shifts later elements back by one, and one
/// may then be missed; Redis's reverse-binary cursor does not have that weakness).
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
    /// Runs the scan over <paramref name="items"/> (canonical order), matching <c>MATCH</c> against
    /// <paramref name="nameOf"/> and replying each match with <paramref name="render"/>. args[2..] are the options.
    /// </summary>
    public static Reply Run<T>(byte[][] args, ulong cursor, bool compact, IReadOnlyList<T> items, Func<T, byte[]> nameOf, Func<T, IEnumerable<Reply>> render)
    {
        long count = KeyspaceCommands.DefaultScanCount;
        byte[]? pattern = null;
        for (var i = 2; i < args.Length; i += 2)
        {
            var hasValue = i + 1 < args.Length;
            if (Keyword.Is(args[i], "COUNT"u8) && hasValue)
            {
                if (!RedisIntegers.TryParse(args[i + 1], out count))
                {
                    return Reply.Error(ErrorTexts.NotInteger);
                }

                if (count < 1)
                {
                    return Reply.Error(ErrorTexts.Syntax);
                }
            }
            else if (Keyword.Is(args[i], "MATCH"u8) && hasValue)
            {
                pattern = GlobPattern.MatchesAll(args[i + 1]) ? null : args[i + 1];
            }
            else
            {
                return Reply.Error(ErrorTexts.Syntax);
            }
        }

        ulong start = compact ? 0 : cursor;
        ulong end = compact ? (ulong)items.Count : Math.Min((ulong)items.Count, start + (ulong)count);
        var replies = new List<Reply>();
        for (var position = start; position < end; position++)
        {
            var item = items[(int)position];
            if (pattern is null || GlobPattern.IsMatch(pattern, nameOf(item)))
            {
                replies.AddRange(render(item));
            }
        }

        var next = end >= (ulong)items.Count ? 0 : end;
        return Reply.Array(Reply.Bulk(RedisIntegers.Format(next)), Reply.Array([.. replies]));
    }
}
