namespace RaftKV.Protocol.Commands;

/// <summary>
/// What Redis 7.0.15's COMMAND reports of one command or subcommand beyond its arity and categories, and the name of the
/// function Redis finds its keys with when its key specs cannot (<c>setGetKeys</c>, <c>evalGetKeys</c>, ...).
/// </summary>
public sealed record RedisCommandIntrospection(string FullName, RedisCommandFlags Flags, IReadOnlyList<string> Tips,
    IReadOnlyList<KeySpec> KeySpecs, string? KeyFunction = null)
{
    /// <summary>
    /// COMMAND INFO's first key, last key and step, and whether the keys are movable, derived from the key specs as
    /// Redis does: range specs from an index with step 1, each starting right after the previous one, are glued into one
    /// range; any other spec (or an incomplete one) makes the keys movable.
    /// </summary>
    public (int First, int Last, int Step, bool Movable) LegacyRange { get; } = ComputeLegacyRange(KeySpecs);

    private static (int, int, int, bool) ComputeLegacyRange(IReadOnlyList<KeySpec> specs)
    {
        if (specs.Count == 0)
            return (0, 0, 0, false);
        if (specs.Count == 1 && specs[0].Begin.Type == BeginSearch.Kind.Index && specs[0].Find.Type == FindKeys.Kind.Range)
        {
            var only = specs[0];
            var last = only.Find.LastKey >= 0 ? only.Begin.Index + only.Find.LastKey : only.Find.LastKey;
            return (only.Begin.Index, last, only.Find.KeyStep, (only.Flags & KeySpecFlags.Incomplete) != 0);
        }

        var movable = false;
        int first = int.MaxValue, lastKey = 0, previousLast = 0;
        foreach (var spec in specs)
        {
            if (spec.Begin.Type != BeginSearch.Kind.Index || spec.Find.Type != FindKeys.Kind.Range
                || spec.Find.KeyStep != 1 || (previousLast != 0 && previousLast != spec.Begin.Index - 1))
            {
                movable = true;
                continue;
            }

            movable |= (spec.Flags & KeySpecFlags.Incomplete) != 0;
            first = Math.Min(first, spec.Begin.Index);
            var absolute = spec.Find.LastKey >= 0 ? spec.Begin.Index + spec.Find.LastKey : spec.Find.LastKey;
            // Compared as unsigned, as Redis does: a last key counted from the end (negative) wins over any index.
            lastKey = (uint)absolute > (uint)lastKey ? absolute : lastKey;
            previousLast = lastKey;
        }

        return first == int.MaxValue ? (0, 0, 0, true) : (first, lastKey, 1, movable);
    }
}
