using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Server;

/// <summary>
/// Redis 7.0's checks for a container command's subcommand (FUNCTION, LATENCY, MEMORY): an unknown one gets
/// "unknown subcommand", a known one with the wrong argument count gets the "container|sub" arity error.
/// </summary>
internal static class Subcommands
{
    /// <summary>
    /// The error to answer, or null when <paramref name="args"/>[1] names a subcommand of <paramref name="command"/> in
    /// the command catalog (Redis 7.0's, which every container here serves whole) with an accepted argument count;
    /// <paramref name="sub"/> is its name in upper case.
    /// </summary>
    public static Reply? Check(string command, byte[][] args, out string sub)
    {
        if (AclCommandCatalog.FindSubcommand(command.ToLowerInvariant(), args[1]) is not { } info)
        {
            sub = Encoding.UTF8.GetString(args[1]).ToUpperInvariant();
            return Reply.Error(ErrorMessages.UnknownSubcommand(Encoding.UTF8.GetString(args[1]), command));
        }

        sub = info.FullName[(info.FullName.IndexOf('|', StringComparison.Ordinal) + 1)..].ToUpperInvariant();
        return info.AcceptsArgumentCount(args.Length) ? null : Reply.Error(ErrorMessages.WrongArity(info.FullName));
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
