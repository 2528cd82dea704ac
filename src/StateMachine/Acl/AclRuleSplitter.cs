namespace RaftKV.StateMachine.Acl;

/// <summary>
/// Joins a selector spread over several arguments (<c>(~key</c> <c>+get)</c>) into one rule, as Redis's
/// ACLMergeSelectorArguments is lenient to do.
/// </summary>
public static class AclRuleSplitter
{
    /// <summary>The rules with selectors joined; null with <paramref name="unmatched"/> set when a '(' is never closed.</summary>
    public static List<string>? Merge(IReadOnlyList<string> rules, out string? unmatched)
    {
        ArgumentNullException.ThrowIfNull(rules);
        unmatched = null;
        var merged = new List<string>(rules.Count);
        string? open = null;
        string? start = null;
        foreach (var rule in rules)
        {
            if (open is null && rule.Length > 0 && rule[0] == '(' && rule[^1] != ')')
            {
                open = rule;
                start = rule;
                continue;
            }

            if (open is not null)
            {
                open += " " + rule;
                if (rule.Length > 0 && rule[^1] == ')')
                {
                    merged.Add(open);
                    open = null;
                }

                continue;
            }

            merged.Add(rule);
        }

        if (open is null)
            return merged;
        unmatched = start;
        return null;
    }
}
