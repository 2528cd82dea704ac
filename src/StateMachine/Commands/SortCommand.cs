using System.Globalization;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// SORT and SORT_RO with Redis 7.0 semantics: BY (with <c>*</c> and <c>-&gt;field</c>), LIMIT, GET (with
/// <c>#</c>), ASC|DESC, ALPHA, STORE. ALPHA compares bytes ordinally (Redis's strcoll in the C locale).
/// Ties keep load order (a stable sort); a set is loaded in canonical order, and BY without <c>*</c> on a
/// set also yields canonical order, so the result never depends on hash-container order.
/// </summary>
internal static class SortCommand
{
    public static Reply Execute(KeyTable keys, byte[][] args, long now, bool readOnly)
    {
        bool desc = false, alpha = false, dontSort = false;
        long limitStart = 0, limitCount = -1;
        byte[]? sortBy = null, storeKey = null;
        var gets = new List<byte[]>();
        for (var j = 1; j < args.Length; j++)
        {
            var left = args.Length - j - 1;
            if (Keyword.Is(args[j], "ASC"u8)) { desc = false; }
            else if (Keyword.Is(args[j], "DESC"u8)) { desc = true; }
            else if (Keyword.Is(args[j], "ALPHA"u8)) { alpha = true; }
            else if (Keyword.Is(args[j], "LIMIT"u8) && left >= 2)
            {
                if (!RedisIntegers.TryParse(args[j + 1], out limitStart) || !RedisIntegers.TryParse(args[j + 2], out limitCount))
                {
                    return Reply.Error(ErrorTexts.NotInteger);
                }

                j += 2;
            }
            else if (!readOnly && Keyword.Is(args[j], "STORE"u8) && left >= 1) { storeKey = args[++j]; }
            else if (Keyword.Is(args[j], "BY"u8) && left >= 1)
            {
                sortBy = args[++j];
                dontSort = Array.IndexOf(sortBy, (byte)'*') < 0;
            }
            else if (Keyword.Is(args[j], "GET"u8) && left >= 1) { gets.Add(args[++j]); }
            else { return Reply.Error(ErrorTexts.Syntax); }
        }

        var entry = keys.FindLive(args[0], now);
        if (entry is not null && entry.Value is not (ListValue or SetValue or SortedSetValue))
        {
            return TypedEntry.WrongType;
        }

        if (dontSort && entry?.Value is SetValue && storeKey is not null)
        {
            dontSort = false;
            alpha = true;
            sortBy = null;
        }

        // Redis converts a listpack zset it sorts to a skip list. Only SORT (applied on every replica) does it
        // here: SORT_RO is a read and must not change even the representation.
        if (!readOnly && entry?.Value is SortedSetValue { Encoding: "listpack" } zsetToConvert)
        {
            keys.BeforeRepresentationChange(entry);
            zsetToConvert.ConvertToSkipList();
        }

        var elements = Load(entry?.Value, dontSort, desc);
        long length = elements.Count;

        // Clamped to the collection first, as Redis 7.0 does to keep start + count from overflowing.
        var start = Math.Min(Math.Max(limitStart, 0), length);
        limitCount = Math.Min(Math.Max(limitCount, -1), length);
        var end = limitCount < 0 ? length - 1 : start + limitCount - 1;
        if (start >= length)
        {
            start = length - 1;
            end = length - 2;
        }

        end = Math.Min(end, length - 1);
        if (!dontSort)
        {
            var weights = new SortWeight[elements.Count];
            for (var i = 0; i < elements.Count; i++)
            {
                var by = sortBy is null ? elements[i] : Lookup(keys, sortBy, elements[i], now);
                if (by is null)
                {
                    continue;
                }

                if (alpha)
                {
                    weights[i] = new SortWeight(0, sortBy is null ? null : by);
                }
                else if (TryParseWeight(by, out var score))
                {
                    weights[i] = new SortWeight(score, null);
                }
                else
                {
                    return Reply.Error(ErrorTexts.SortNotDouble);
                }
            }

            var order = Enumerable.Range(0, elements.Count).ToArray();
            var sorted = order.OrderBy(i => i, Comparer<int>.Create((x, y) =>
            {
                var cmp = Compare(elements[x], weights[x], elements[y], weights[y], alpha, sortBy is not null);
                return desc ? -cmp : cmp;
            })).ToArray();
            elements = [.. sorted.Select(i => elements[i])];
        }

        var output = new List<byte[]?>();
        for (var i = start; i <= end; i++)
        {
            if (gets.Count == 0)
            {
                output.Add(elements[(int)i]);
            }

            foreach (var pattern in gets)
            {
                output.Add(Lookup(keys, pattern, elements[(int)i], now));
            }
        }

        if (storeKey is null)
        {
            return Reply.Array([.. output.Select(Reply.Bulk)]);
        }

        keys.FindForWrite(storeKey, now);
        if (output.Count == 0)
        {
            if (keys.Remove(storeKey))
            {
                keys.Notify(KeyspaceEvents.Generic, "del", storeKey);
            }

            return Reply.Zero;
        }

        var list = new ListValue();
        foreach (var value in output)
        {
            list.PushBack(value ?? []);
        }

        keys.Put(storeKey, list, KeyEntry.NoExpiry);
        keys.Notify(KeyspaceEvents.List, "sortstore", storeKey);
        return Reply.Integer(output.Count);
    }

    private static List<byte[]> Load(StoredValue? value, bool dontSort, bool desc) => value switch
    {
        ListValue list when dontSort && desc => [.. list.Items().Reverse()],
        ListValue list => [.. list.Items()],
        SetValue set => [.. set.Canonical()],
        SortedSetValue zset when dontSort && desc => [.. zset.Range(0, zset.Count - 1, reverse: true).Select(e => e.Member)],
        SortedSetValue zset => [.. zset.All().Select(e => e.Member)],
        _ => [],
    };

    private static int Compare(byte[] a, SortWeight wa, byte[] b, SortWeight wb, bool alpha, bool byPattern)
    {
        if (!alpha)
        {
            if (wa.Score != wb.Score)
            {
                return wa.Score > wb.Score ? 1 : -1;
            }

            return ByteStringComparer.Instance.Compare(a, b);
        }

        if (!byPattern)
        {
            return ByteStringComparer.Instance.Compare(a, b);
        }

        if (wa.Text is null || wb.Text is null)
        {
            return wa.Text == wb.Text ? 0 : wa.Text is null ? -1 : 1;
        }

        return ByteStringComparer.Instance.Compare(wa.Text, wb.Text);
    }

    /// <summary>A numeric SORT weight as strtod reads it: leading spaces allowed, whole text consumed, no overflow, no NaN.</summary>
    private static bool TryParseWeight(byte[] text, out double score)
    {
        var trimmed = text.AsSpan().TrimStart(" \t\n\v\f\r"u8);
        if (trimmed.IsEmpty)
        {
            score = 0;
            return true;
        }

        if (!ZRangeBounds.TryParseScore(text, out score, out var exclusive) || exclusive)
        {
            return false;
        }

        var word = System.Text.Encoding.ASCII.GetString(trimmed).TrimStart('+', '-');
        var literalInfinity = word.Equals("inf", StringComparison.OrdinalIgnoreCase) || word.Equals("infinity", StringComparison.OrdinalIgnoreCase);
        return !double.IsInfinity(score) || literalInfinity;
    }

    /// <summary>Redis's lookupKeyByPattern: <c>#</c> is the element; the first <c>*</c> is replaced by it; <c>-&gt;f</c> reads a hash field.</summary>
    private static byte[]? Lookup(KeyTable keys, byte[] pattern, byte[] element, long now)
    {
        if (pattern is [(byte)'#'])
        {
            return element;
        }

        var star = Array.IndexOf(pattern, (byte)'*');
        if (star < 0)
        {
            return null;
        }

        var arrow = pattern.AsSpan(star + 1).IndexOf("->"u8);
        byte[]? field = null;
        var keyEnd = pattern.Length;
        if (arrow >= 0 && star + 1 + arrow + 2 < pattern.Length)
        {
            keyEnd = star + 1 + arrow;
            field = pattern[(keyEnd + 2)..];
        }

        byte[] key = [.. pattern.AsSpan(0, star), .. element, .. pattern.AsSpan(star + 1, keyEnd - star - 1)];
        var value = keys.FindLive(key, now)?.Value;
        if (field is not null)
        {
            return value is HashValue hash && hash.TryGet(field, out var fieldValue) ? fieldValue : null;
        }

        return value is StringValue s ? s.Bytes : null;
    }

    private readonly record struct SortWeight(double Score, byte[]? Text);
}
