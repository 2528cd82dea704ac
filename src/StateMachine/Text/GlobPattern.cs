namespace RaftKV.StateMachine.Text;

/// <summary>
/// Redis's glob matching (<c>stringmatchlen</c>, case-sensitive): <c>*</c>, <c>?</c>, <c>[abc]</c>,
/// <c>[^a]</c>, <c>[a-z]</c> (reversed ranges allowed), and <c>\</c> escapes. Bytes compare as C's signed
/// char, as Redis compares them, so ranges over bytes >= 0x80 behave as in Redis.
/// </summary>
public static class GlobPattern
{
    // Redis refuses to recurse deeper than this on abusive patterns and reports "no match".
    private const int MaxNesting = 1000;

    public static bool IsMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text)
    {
        var skipLongerMatches = false;
        return Match(pattern, text, ref skipLongerMatches, 0);
    }

    public static bool MatchesAll(ReadOnlySpan<byte> pattern) => pattern.Length == 1 && pattern[0] == (byte)'*';

    private static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, ref bool skipLongerMatches, int nesting)
    {
        if (nesting > MaxNesting)
        {
            return false;
        }

        var p = 0;
        var s = 0;
        while (p < pattern.Length && s < text.Length)
        {
            switch (pattern[p])
            {
                case (byte)'*':
                    while (p + 1 < pattern.Length && pattern[p + 1] == (byte)'*')
                    {
                        p++;
                    }

                    if (p == pattern.Length - 1)
                    {
                        return true;
                    }

                    while (s < text.Length)
                    {
                        if (Match(pattern[(p + 1)..], text[s..], ref skipLongerMatches, nesting + 1))
                        {
                            return true;
                        }

                        if (skipLongerMatches)
                        {
                            return false;
                        }

                        s++;
                    }

                    // Nothing after this star matches anywhere in the rest: earlier stars cannot help either.
                    skipLongerMatches = true;
                    return false;
                case (byte)'?':
                    s++;
                    break;
                case (byte)'[':
                    {
                        p++;
                        var negate = p < pattern.Length && pattern[p] == (byte)'^';
                        if (negate)
                        {
                            p++;
                        }

                        var match = false;
                        var c = (sbyte)text[s];
                        while (true)
                        {
                            if (p >= pattern.Length)
                            {
                                // Unterminated class: step back so the increment below lands on the end.
                                p--;
                                break;
                            }

                            if (pattern[p] == (byte)'\\' && pattern.Length - p >= 2)
                            {
                                p++;
                                match |= pattern[p] == text[s];
                            }
                            else if (pattern[p] == (byte)']')
                            {
                                break;
                            }
                            else if (pattern.Length - p >= 3 && pattern[p + 1] == (byte)'-')
                            {
                                var start = (sbyte)pattern[p];
                                var end = (sbyte)pattern[p + 2];
                                if (start > end)
                                {
                                    (start, end) = (end, start);
                                }

                                p += 2;
                                match |= c >= start && c <= end;
                            }
                            else
                            {
                                match |= pattern[p] == text[s];
                            }

                            p++;
                        }

                        if (negate)
                        {
                            match = !match;
                        }

                        if (!match)
                        {
                            return false;
                        }

                        s++;
                        break;
                    }

                case (byte)'\\':
                    if (pattern.Length - p >= 2)
                    {
                        p++;
                    }

                    if (pattern[p] != text[s])
                    {
                        return false;
                    }

                    s++;
                    break;
                default:
                    if (pattern[p] != text[s])
                    {
                        return false;
                    }

                    s++;
                    break;
            }

            p++;
            if (s == text.Length)
            {
                while (p < pattern.Length && pattern[p] == (byte)'*')
                {
                    p++;
                }

                break;
            }
        }

        return p == pattern.Length && s == text.Length;
    }
}
