using System.Text;
using RaftKV.Node.Configuration;
using RaftKV.StateMachine.Acl;

namespace RaftKV.Node.Security;

/// <summary>
/// The first users of a brand-new cluster from configuration: <see cref="NodeOptions.AclFile"/> (Redis's aclfile lines,
/// <c>user &lt;name&gt; &lt;rules&gt;</c>; blank lines and lines starting with '#' are skipped) and
/// <see cref="NodeOptions.RequirePass"/>, as the arguments of one AclBootstrap entry (passwords hashed), checked when
/// the node starts: a bad file stops the node, as Redis refuses to start on one.
/// </summary>
internal static class AclBootstrapRecords
{
    /// <summary>The entry's arguments, or null when nothing is configured. Throws <see cref="InvalidOperationException"/> on a bad file.</summary>
    public static byte[][]? Build(NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var records = new List<string>();
        if (!string.IsNullOrEmpty(options.AclFile))
        {
            var lineNumber = 0;
            foreach (var line in File.ReadAllLines(options.AclFile, Encoding.Latin1))
            {
                lineNumber++;
                var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (words.Length == 0 || words[0].StartsWith('#'))
                    continue;
                if (words.Length < 2 || !string.Equals(words[0], "user", StringComparison.OrdinalIgnoreCase))
                    throw new InvalidOperationException($"{options.AclFile}:{lineNumber}: should start with user keyword");
                var rules = AclRuleText.ForLog(words.Skip(2).Select(Encoding.Latin1.GetBytes))
                            ?? throw new InvalidOperationException($"{options.AclFile}:{lineNumber}: Unmatched parenthesis in acl selector");
                records.Add("USER");
                records.Add(words[1]);
                records.AddRange(rules);
            }
        }

        if (options.RequirePass is { Length: > 0 } password)
        {
            records.Add("REQUIREPASS");
            records.Add(AclPasswords.Hash(Encoding.UTF8.GetBytes(password)));
        }

        if (records.Count == 0)
            return null;
        var arguments = records.Select(Encoding.Latin1.GetBytes).ToArray();
        if (Preview(arguments) is null)
            throw new InvalidOperationException("The ACL bootstrap configuration (AclFile, RequirePass) is invalid: " + Error(arguments));
        return arguments;
    }

    /// <summary>The users the entry would make, applied to a fresh table; null when it is refused.</summary>
    public static AclUsers? Preview(byte[][] arguments)
    {
        var table = new AclTable();
        return table.Bootstrap(arguments, new RaftKV.StateMachine.Configuration.RuntimeConfig()) is RaftKV.Protocol.Replies.ErrorReply ? null : table.Current;
    }

    private static string Error(byte[][] arguments) =>
        (new AclTable().Bootstrap(arguments, new RaftKV.StateMachine.Configuration.RuntimeConfig()) as RaftKV.Protocol.Replies.ErrorReply)?.Message ?? "";
}
