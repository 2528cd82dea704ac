using System.Text;

namespace RaftKV.Protocol.Commands;

/// <summary>
/// The keys of a request as Redis 7.0's COMMAND GETKEYS finds them (getKeysFromCommandWithSpecs): the command's key
/// specs when their flags are reliable (none flagged variable_flags) and they can be followed, else the command's key
/// function. Each key comes with the flags Redis gives it (none from the generic functions of count-argument commands).
/// </summary>
public static class CommandKeys
{
    /// <summary>
    /// The keys of <paramref name="request"/> (argument 0 is the command's name; for a subcommand, the container's) for
    /// <paramref name="command"/>, in Redis's order; empty when none is found (an error for Redis, unless the command's
    /// keys are optional).
    /// </summary>
    public static List<(int Position, KeySpecFlags Flags)> Find(RedisCommandIntrospection command, IReadOnlyList<byte[]> request)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(request);
        var reliable = command.KeySpecs.Any(static k => (k.Flags & KeySpecFlags.NotKey) == 0)
                       && !command.KeySpecs.Any(static k => (k.Flags & KeySpecFlags.VariableFlags) != 0);
        return (reliable ? BySpecs(command, request) : null) ?? ByFunction(command.KeyFunction, request);
    }

    /// <summary>
    /// The keys the key specs find: specs flagged not_key are skipped, a keyword not found skips its spec. Null when a
    /// spec cannot be followed (unknown, incomplete, a count that is not a number, a range past the arguments).
    /// </summary>
    private static List<(int, KeySpecFlags)>? BySpecs(RedisCommandIntrospection command, IReadOnlyList<byte[]> request)
    {
        var count = request.Count;
        var keys = new List<(int, KeySpecFlags)>();
        foreach (var spec in command.KeySpecs)
        {
            if ((spec.Flags & KeySpecFlags.NotKey) != 0)
                continue;
            int first;
            if (spec.Begin.Type == BeginSearch.Kind.Index)
                first = spec.Begin.Index;
            else if (spec.Begin.Type == BeginSearch.Kind.Keyword)
            {
                first = AfterKeyword(spec.Begin, request);
                if (first == 0)
                    continue;
            }
            else
                return null;

            int last;
            if (spec.Find.Type == FindKeys.Kind.Range)
            {
                if (spec.Find.LastKey >= 0)
                    last = first + spec.Find.LastKey;
                else if (spec.Find.Limit == 0)
                    last = count + spec.Find.LastKey;
                else
                    last = first + ((count - first) / spec.Find.Limit + spec.Find.LastKey);
            }
            else if (spec.Find.Type == FindKeys.Kind.KeyNum)
            {
                var at = first + spec.Find.KeyNumIndex;
                if (at >= count || !TryParseInteger(request[at], out var numKeys) || numKeys < 0)
                    return null;
                first += spec.Find.FirstKey;
                // Redis casts the count to an int (a count of 2^32 + 1 finds one key there too).
                last = unchecked(first + (int)numKeys - 1);
            }
            else
                return null;

            var step = spec.Find.KeyStep;
            if (last >= count || last < first || first >= count || step <= 0)
                return null;
            for (var i = first; i <= last; i += step)
                keys.Add((i, spec.Flags));
            if ((spec.Flags & KeySpecFlags.Incomplete) != 0)
                return null;
        }

        return keys;
    }

    // The argument after the keyword, searched forwards from startfrom or backwards from the end; 0 when absent.
    private static int AfterKeyword(BeginSearch begin, IReadOnlyList<byte[]> request)
    {
        var count = request.Count;
        var keyword = Encoding.ASCII.GetBytes(begin.Keyword!);
        if (begin.StartFrom > 0)
        {
            for (var i = begin.StartFrom; i < count - 1; i++)
            {
                if (Ascii.EqualsIgnoreCase(request[i], keyword))
                    return i + 1;
            }
        }
        else
        {
            for (var i = count + begin.StartFrom; i > 1 && i < count; i--)
            {
                if (Ascii.EqualsIgnoreCase(request[i], keyword))
                    return i + 1;
            }
        }

        return 0;
    }

    // Redis's key functions (db.c), by name, for the requests their key specs cannot follow.
    private static List<(int, KeySpecFlags)> ByFunction(string? function, IReadOnlyList<byte[]> request) => function switch
    {
        "setGetKeys" => [(1, SetReadsTheOldValue(request) ? KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Update : KeySpecFlags.OW | KeySpecFlags.Update)],
        "bitfieldGetKeys" => [(1, BitfieldOnlyReads(request) ? KeySpecFlags.RO | KeySpecFlags.Access : KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Update)],
        "sortROGetKeys" => [(1, KeySpecFlags.RO | KeySpecFlags.Access)],
        "sortGetKeys" => SortKeys(request),
        "sintercardGetKeys" or "zunionInterDiffGetKeys" or "lmpopGetKeys" or "zmpopGetKeys" => CountedKeys(request, 0, 1, 2),
        "zunionInterDiffStoreGetKeys" => CountedKeys(request, 1, 2, 3),
        "evalGetKeys" or "functionGetKeys" or "blmpopGetKeys" or "bzmpopGetKeys" => CountedKeys(request, 0, 2, 3),
        // xreadGetKeys, georadiusGetKeys: their specs always follow; migrateGetKeys: RaftKV does not serve MIGRATE.
        _ => [],
    };

    private static bool SetReadsTheOldValue(IReadOnlyList<byte[]> request)
    {
        for (var i = 3; i < request.Count; i++)
        {
            if (Ascii.EqualsIgnoreCase(request[i], "GET"u8))
                return true;
        }

        return false;
    }

    // BITFIELD with only complete GET (and OVERFLOW) operations is a read.
    private static bool BitfieldOnlyReads(IReadOnlyList<byte[]> request)
    {
        for (var i = 2; i < request.Count; i++)
        {
            var left = request.Count - i - 1;
            if (Ascii.EqualsIgnoreCase(request[i], "GET"u8) && left >= 2)
                i += 2;
            else if (Ascii.EqualsIgnoreCase(request[i], "OVERFLOW"u8) && left >= 1)
                i++;
            else
                return false;
        }

        return true;
    }

    // SORT's key, and the destination of its last STORE, found past the arguments of LIMIT, GET and BY.
    private static List<(int, KeySpecFlags)> SortKeys(IReadOnlyList<byte[]> request)
    {
        List<(int, KeySpecFlags)> keys = [(1, KeySpecFlags.RO | KeySpecFlags.Access)];
        var store = 0;
        for (var i = 2; i < request.Count; i++)
        {
            if (Ascii.EqualsIgnoreCase(request[i], "LIMIT"u8))
                i += 2;
            else if (Ascii.EqualsIgnoreCase(request[i], "GET"u8) || Ascii.EqualsIgnoreCase(request[i], "BY"u8))
                i++;
            else if (Ascii.EqualsIgnoreCase(request[i], "STORE"u8) && i + 1 < request.Count)
                store = i + 1;
        }

        if (store > 0)
            keys.Add((store, KeySpecFlags.OW | KeySpecFlags.Update));
        return keys;
    }

    // Redis's genericGetKeys: the count read as C's atoi reads it, the keys after it, then the destination (if any).
    private static List<(int, KeySpecFlags)> CountedKeys(IReadOnlyList<byte[]> request, int store, int countAt, int firstKey)
    {
        var count = countAt < request.Count ? AsciiToInt(request[countAt]) : 0;
        if (count < 1 || count > request.Count - firstKey)
            return [];
        var keys = new List<(int, KeySpecFlags)>(count + 1);
        for (var i = 0; i < count; i++)
            keys.Add((firstKey + i, KeySpecFlags.None));
        if (store > 0)
            keys.Add((store, KeySpecFlags.None));
        return keys;
    }

    // C's atoi (strtol, then a cast to int): leading white space, a sign, the digits up to the first other byte; 0 for none.
    private static int AsciiToInt(ReadOnlySpan<byte> text)
    {
        var i = 0;
        while (i < text.Length && text[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r')
            i++;
        var negative = false;
        if (i < text.Length && text[i] is (byte)'+' or (byte)'-')
            negative = text[i++] == '-';
        long value = 0;
        var overflow = false;
        for (; i < text.Length && text[i] is >= (byte)'0' and <= (byte)'9'; i++)
        {
            if (!overflow && value > (long.MaxValue - (text[i] - '0')) / 10)
                overflow = true;
            else if (!overflow)
                value = value * 10 + (text[i] - '0');
        }

        var result = overflow ? (negative ? long.MinValue : long.MaxValue) : negative ? -value : value;
        return unchecked((int)result);
    }

    // Redis's string2ll: an optional '-', then digits without a leading zero (or "0" alone), within a long.
    private static bool TryParseInteger(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        var negative = text.Length > 0 && text[0] == '-';
        var digits = negative ? text[1..] : text;
        if (digits.Length is 0 or > 19 || (digits[0] == '0' && (digits.Length > 1 || negative)))
            return false;
        ulong magnitude = 0;
        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
                return false;
            magnitude = magnitude * 10 + (ulong)(b - '0');
        }

        if (magnitude > (negative ? (ulong)long.MaxValue + 1 : long.MaxValue))
            return false;
        value = negative ? unchecked(-(long)magnitude) : (long)magnitude;
        return true;
    }
}
