using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN], with Redis 7.0's dynamic programming and match walk.</summary>
internal static class LcsCommand
{
    public static Reply Execute(KeyTable keys, byte[][] args, long now)
    {
        var first = keys.FindLive(args[0], now)?.Value;
        var second = keys.FindLive(args[1], now)?.Value;
        if (first is not (null or StringValue) || second is not (null or StringValue))
        {
            return Reply.Error(ErrorTexts.LcsNotStrings);
        }

        bool getIndexes = false, getLength = false, withMatchLength = false;
        long minMatchLength = 0;
        for (var j = 2; j < args.Length; j++)
        {
            if (Keyword.Is(args[j], "IDX"u8)) { getIndexes = true; }
            else if (Keyword.Is(args[j], "LEN"u8)) { getLength = true; }
            else if (Keyword.Is(args[j], "WITHMATCHLEN"u8)) { withMatchLength = true; }
            else if (Keyword.Is(args[j], "MINMATCHLEN"u8) && j + 1 < args.Length)
            {
                if (!RedisIntegers.TryParse(args[++j], out minMatchLength))
                {
                    return Reply.Error(ErrorTexts.NotInteger);
                }

                minMatchLength = Math.Max(0, minMatchLength);
            }
            else
            {
                return Reply.Error(ErrorTexts.Syntax);
            }
        }

        if (getIndexes && getLength)
        {
            return Reply.Error(ErrorTexts.LcsIdxAndLen);
        }

        var a = (first as StringValue)?.Bytes ?? [];
        var b = (second as StringValue)?.Bytes ?? [];
        // Redis's bound: the table's bytes (4 per cell) may not exceed proto-max-bulk-len.
        if ((long)(a.Length + 1) * (b.Length + 1) * sizeof(int) > StringCommands.MaxStringLength)
        {
            return Reply.Error(ErrorTexts.LcsTooLong);
        }

        var width = b.Length + 1;
        var table = new int[(a.Length + 1) * width];
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                table[(i * width) + j] = a[i - 1] == b[j - 1]
                    ? table[((i - 1) * width) + j - 1] + 1
                    : Math.Max(table[((i - 1) * width) + j], table[(i * width) + j - 1]);
            }
        }

        var length = table[(a.Length * width) + b.Length];
        if (getLength)
        {
            return Reply.Integer(length);
        }

        var result = new byte[length];
        var matches = new List<Reply>();
        int x = a.Length, y = b.Length, index = length;
        int aStart = a.Length, aEnd = 0, bStart = 0, bEnd = 0;
        while (x > 0 && y > 0)
        {
            var emit = false;
            if (a[x - 1] == b[y - 1])
            {
                result[index - 1] = a[x - 1];
                if (aStart == a.Length)
                {
                    aStart = aEnd = x - 1;
                    bStart = bEnd = y - 1;
                }
                else if (aStart == x && bStart == y)
                {
                    aStart--;
                    bStart--;
                }
                else
                {
                    emit = true;
                }

                emit |= aStart == 0 || bStart == 0;
                index--;
                x--;
                y--;
            }
            else
            {
                if (table[((x - 1) * width) + y] > table[(x * width) + y - 1])
                {
                    x--;
                }
                else
                {
                    y--;
                }

                emit = aStart != a.Length;
            }

            var matchLength = aEnd - aStart + 1;
            if (emit)
            {
                if (getIndexes && (minMatchLength == 0 || matchLength >= minMatchLength))
                {
                    var range = new List<Reply>
                    {
                        Reply.Array(Reply.Integer(aStart), Reply.Integer(aEnd)),
                        Reply.Array(Reply.Integer(bStart), Reply.Integer(bEnd)),
                    };
                    if (withMatchLength)
                    {
                        range.Add(Reply.Integer(matchLength));
                    }

                    matches.Add(Reply.Array([.. range]));
                }

                aStart = a.Length;
            }
        }

        if (!getIndexes)
        {
            return Reply.Bulk(result);
        }

        return new MapReply(
        [
            new(Reply.Bulk("matches"), Reply.Array([.. matches])),
            new(Reply.Bulk("len"), Reply.Integer(length)),
        ]);
    }
}
