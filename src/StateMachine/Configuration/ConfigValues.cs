using System.Globalization;
using System.Text;
using RaftKV.StateMachine.Numbers;

namespace RaftKV.StateMachine.Configuration;

/// <summary>
/// Checks a CONFIG SET value the way Redis 7.0's config.c does and gives the text CONFIG GET reports for it (yes/no
/// in lower case, memory values in bytes, keyspace-event classes in Redis's order). The error texts are Redis's,
/// without the "CONFIG SET failed (possibly related to argument ...)" frame the caller adds.
/// </summary>
public static class ConfigValues
{
    public static bool TryNormalize(ConfigParameter parameter, string value, out string normalized, out string? error)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(value);
        normalized = value;
        error = null;
        switch (parameter.Kind)
        {
            case ConfigKind.Bool:
                if (value.Equals("yes", StringComparison.OrdinalIgnoreCase) || value.Equals("no", StringComparison.OrdinalIgnoreCase))
                {
                    normalized = value.ToLowerInvariant();
                    return true;
                }

                error = "argument must be 'yes' or 'no'";
                return false;
            case ConfigKind.Integer:
                if (!RedisIntegers.TryParse(Encoding.ASCII.GetBytes(value), out var integer))
                {
                    error = "argument couldn't be parsed into an integer";
                    return false;
                }

                return InBounds(parameter, integer, out normalized, out error);
            case ConfigKind.Memory:
                if (!TryParseMemory(value, out var bytes))
                {
                    error = "argument must be a memory value";
                    return false;
                }

                return InBounds(parameter, bytes, out normalized, out error);
            case ConfigKind.MemoryOrPercent:
                if (TryParseMemory(value, out var amount))
                {
                    return InBounds(parameter, amount, out normalized, out error);
                }

                if (value.Length > 1 && value[^1] == '%' && RedisIntegers.TryParse(Encoding.ASCII.GetBytes(value[..^1]), out var percent) && percent >= 0)
                {
                    if (percent > -parameter.Min)
                    {
                        error = "percentage argument must be less or equal to " + Text(-parameter.Min);
                        return false;
                    }

                    normalized = Text(percent) + "%";
                    return true;
                }

                error = "argument must be a memory or percent value";
                return false;
            case ConfigKind.Enum:
            case ConfigKind.EnumFlags:
                return TryEnum(parameter, value, out normalized, out error);
            case ConfigKind.Save:
                return TrySave(value, out normalized, out error);
            case ConfigKind.KeyspaceEvents:
                if (KeyspaceEvents.TryParse(value, out var flags))
                {
                    normalized = KeyspaceEvents.StorageForm(flags);
                    return true;
                }

                error = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
                return false;
            default:
                return true;
        }
    }

    /// <summary>Redis's memtoull: digits, then an optional unit b, k, kb, m, mb, g, gb (any case); no sign.</summary>
    public static bool TryParseMemory(string value, out long bytes)
    {
        bytes = 0;
        var digits = 0;
        while (digits < value.Length && char.IsAsciiDigit(value[digits]))
        {
            digits++;
        }

        long multiplier = value[digits..].ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "k" => 1000,
            "kb" => 1024,
            "m" => 1000 * 1000,
            "mb" => 1024 * 1024,
            "g" => 1000L * 1000 * 1000,
            "gb" => 1024L * 1024 * 1024,
            _ => 0,
        };
        if (multiplier == 0 || digits == 0
            || !long.TryParse(value.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        try
        {
            bytes = checked(number * multiplier);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static bool InBounds(ConfigParameter parameter, long value, out string normalized, out string? error)
    {
        normalized = Text(value);
        error = null;
        if (value >= parameter.Min && value <= parameter.Max)
        {
            return true;
        }

        error = $"argument must be between {Text(parameter.Min)} and {Text(parameter.Max)} inclusive";
        return false;
    }

    private static bool TryEnum(ConfigParameter parameter, string value, out string normalized, out string? error)
    {
        var choices = parameter.Choices ?? [];
        var words = parameter.Kind == ConfigKind.EnumFlags
            ? value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : [value];
        var chosen = new List<string>();
        foreach (var word in words)
        {
            var match = choices.FirstOrDefault(c => c.Equals(word, StringComparison.OrdinalIgnoreCase));
            if (match is null)
            {
                chosen.Clear();
                break;
            }

            chosen.Add(match);
        }

        if (chosen.Count == 0)
        {
            normalized = value;
            error = "argument(s) must be one of the following: " + string.Join(", ", choices);
            return false;
        }

        normalized = string.Join(' ', chosen);
        error = null;
        return true;
    }

    private static bool TrySave(string value, out string normalized, out string? error)
    {
        normalized = "";
        error = null;
        var words = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length % 2 != 0)
        {
            error = "Invalid save parameters";
            return false;
        }

        for (var i = 0; i < words.Length; i++)
        {
            if (!long.TryParse(words[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                || number < (i % 2 == 0 ? 1 : 0))
            {
                error = "Invalid save parameters";
                return false;
            }

            words[i] = Text(number);
        }

        normalized = string.Join(' ', words);
        return true;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
