using System.Globalization;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// Score and lexicographic range bounds of the sorted-set commands, parsed as Redis 7.0's zslParseRange and
/// zslParseLexRange parse them, and turned into rank intervals of a <see cref="SortedSetValue"/> in O(log n).
/// </summary>
internal static class ZRangeBounds
{
    /// <summary>
    /// A score bound: <c>(</c> makes it exclusive. The number is read as C's strtod reads it without error
    /// checks: leading spaces skipped, the whole rest consumed, empty means 0, overflow means infinity,
    /// and NaN is refused. (Hexadecimal floats, which strtod also reads, are refused.)
    /// </summary>
    public static bool TryParseScore(byte[] text, out double value, out bool exclusive)
    {
        ReadOnlySpan<byte> span = text;
        exclusive = span.Length > 0 && span[0] == (byte)'(';
        if (exclusive)
        {
            span = span[1..];
        }

        while (span.Length > 0 && span[0] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\v' or (byte)'\f')
        {
            span = span[1..];
        }

        value = 0;
        if (span.IsEmpty)
        {
            return true;
        }

        var negative = span[0] == (byte)'-';
        var unsigned = span[0] is (byte)'-' or (byte)'+' ? span[1..] : span;
        if (System.Text.Ascii.EqualsIgnoreCase(unsigned, "inf"u8) || System.Text.Ascii.EqualsIgnoreCase(unsigned, "infinity"u8))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }

        foreach (var b in span)
        {
            if (!(b is >= (byte)'0' and <= (byte)'9' or (byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-'))
            {
                return false;
            }
        }

        return double.TryParse(System.Text.Encoding.ASCII.GetString(span), NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && !double.IsNaN(value);
    }

    /// <summary>A lex bound: <c>-</c>, <c>+</c>, <c>[member</c> (inclusive) or <c>(member</c> (exclusive).</summary>
    public static bool TryParseLex(byte[] text, out LexBound bound)
    {
        bound = default;
        if (text.Length == 0)
        {
            return false;
        }

        switch (text[0])
        {
            case (byte)'-' when text.Length == 1:
                bound = new LexBound(LexBoundKind.Minimum, [], false);
                return true;
            case (byte)'+' when text.Length == 1:
                bound = new LexBound(LexBoundKind.Maximum, [], false);
                return true;
            case (byte)'[':
                bound = new LexBound(LexBoundKind.Member, text[1..], false);
                return true;
            case (byte)'(':
                bound = new LexBound(LexBoundKind.Member, text[1..], true);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The rank interval [first, last] of scores between the bounds (first > last when empty).</summary>
    public static (int First, int Last) ScoreRanks(SortedSetValue zset, double min, bool minExclusive, double max, bool maxExclusive)
    {
        var first = zset.CountBelowScore(min, inclusive: minExclusive);
        var last = zset.CountBelowScore(max, inclusive: !maxExclusive) - 1;
        return (first, last);
    }

    /// <summary>The rank interval [first, last] of members between the lex bounds (meaningful when all scores are equal).</summary>
    public static (int First, int Last) LexRanks(SortedSetValue zset, LexBound min, LexBound max)
    {
        var first = min.Kind switch
        {
            LexBoundKind.Minimum => 0,
            LexBoundKind.Maximum => zset.Count,
            _ => zset.CountBelowMember(min.Member, inclusive: min.Exclusive),
        };
        var last = max.Kind switch
        {
            LexBoundKind.Minimum => -1,
            LexBoundKind.Maximum => zset.Count - 1,
            _ => zset.CountBelowMember(max.Member, inclusive: !max.Exclusive) - 1,
        };
        return (first, last);
    }
}
