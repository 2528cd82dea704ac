using System.Text;
using RaftKV.StateMachine.Acl;

namespace RaftKV.Node.Security;

/// <summary>
/// Rules as they go into the log: selectors joined (<see cref="AclRuleSplitter"/>), and clear passwords replaced by
/// their hashes (&gt;pw by #sha256, &lt;pw by !sha256), which mean the same to the user table, so no password reaches
/// the log, a snapshot or a follower in clear.
/// </summary>
internal static class AclRuleText
{
    /// <summary>The rules to log, or null when a selector's parenthesis is never closed (the check before proposing answers that).</summary>
    public static List<string>? ForLog(IEnumerable<byte[]> rules)
    {
        var merged = AclRuleSplitter.Merge(rules.Select(static r => Encoding.Latin1.GetString(r)).ToList(), out _);
        return merged?.Select(static rule => rule.Length > 0 && rule[0] is '>' or '<'
            ? (rule[0] == '>' ? "#" : "!") + AclPasswords.Hash(rule[1..])
            : rule).ToList();
    }
}
