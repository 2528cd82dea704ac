using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Server;

/// <summary>
/// Redis 7.0's checks for a container command's subcommand (FUNCTION, LATENCY, MEMORY): an unknown one gets
/// "unknown subcommand", a known one with the wrong argument count gets the "container|sub" arity error.
/// </summary>
internal static class Subcommands
{
    /// <summary>The error to answer, or null when <paramref name="args"/>[1] is a known subcommand with an accepted count.</summary>
    public static Reply? Check(string command, byte[][] args, IReadOnlyDictionary<string, int> arities, out string sub)
    {
        sub = Encoding.UTF8.GetString(args[1]).ToUpperInvariant();
        if (!arities.TryGetValue(sub, out var arity))
            return Reply.Error(ErrorMessages.UnknownSubcommand(Encoding.UTF8.GetString(args[1]), command));
        var accepted = arity >= 0 ? args.Length == arity : args.Length >= -arity;
        return accepted ? null : Reply.Error(ErrorMessages.WrongArity(command + "|" + sub.ToLowerInvariant()));
    }

    /// <summary>Redis's HELP reply: a header naming the command, the lines, and HELP itself.</summary>
    public static Reply Help(string command, params string[] lines)
    {
        var replies = new List<Reply> { Reply.Simple(command + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:") };
        replies.AddRange(lines.Select(static line => (Reply)Reply.Simple(line)));
        replies.Add(Reply.Simple("HELP"));
        replies.Add(Reply.Simple("    Prints this help."));
        return Reply.Array([.. replies]);
    }
}
