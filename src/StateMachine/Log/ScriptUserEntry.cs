using System.Text;
using RaftKV.Protocol.Commands;

namespace RaftKV.StateMachine.Log;

/// <summary>
/// The <see cref="CommandId.ScriptAsUser"/> entry: an EVAL, EVALSHA or FCALL (or their _RO forms, queued in a
/// transaction) with the name of the ACL user who sent it,
/// so that every replica checks the script's redis.call commands against the same user, as the replicated ACL table
/// stands when the entry applies (the check depends only on the log). Arguments: user name (Latin-1, as ACL names),
/// command name, then the command's arguments. The user field may end in <c>\0oom</c> (a user name never holds a NUL):
/// the leader found memory above maxmemory when it proposed the script (Redis's pre_command_oom_state), so the script
/// may not run a denyoom command before it has written, on any replica.
/// </summary>
public static class ScriptUserEntry
{
    private const string OverMemorySuffix = "\0oom";

    /// <summary>
    /// True for the commands whose scripts may run at apply and so carry their user: the _RO forms too, which run at
    /// apply when queued in a transaction (alone, the leader runs them as reads, with the user).
    /// </summary>
    public static bool Carries(CommandId command) => command is CommandId.Eval or CommandId.Evalsha or CommandId.Fcall
        or CommandId.EvalRo or CommandId.EvalshaRo or CommandId.FcallRo;

    /// <summary><paramref name="command"/> run as <paramref name="userName"/>; any other command unchanged.</summary>
    public static LogCommand Wrap(LogCommand command, string userName, bool overMemory = false)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(userName);
        if (!Carries(command.Command))
        {
            return command;
        }

        var name = command.Command switch
        {
            CommandId.Eval => "eval"u8.ToArray(),
            CommandId.Evalsha => "evalsha"u8.ToArray(),
            CommandId.EvalRo => "eval_ro"u8.ToArray(),
            CommandId.EvalshaRo => "evalsha_ro"u8.ToArray(),
            CommandId.FcallRo => "fcall_ro"u8.ToArray(),
            _ => "fcall"u8.ToArray(),
        };
        var user = Encoding.Latin1.GetBytes(overMemory ? userName + OverMemorySuffix : userName);
        return command with { Command = CommandId.ScriptAsUser, Arguments = [user, name, .. command.Arguments] };
    }

    /// <summary>The user and the inner command of a ScriptAsUser entry's arguments; false when they name no such command.</summary>
    internal static bool TryUnwrap(byte[][] arguments, out string userName, out CommandId command, out byte[][] commandArguments, out bool overMemory)
    {
        userName = "";
        overMemory = false;
        command = CommandId.None;
        commandArguments = [];
        if (arguments.Length < 2 || !CommandTable.TryGet(arguments[1], out var spec) || !Carries(spec.Id))
        {
            return false;
        }

        userName = Encoding.Latin1.GetString(arguments[0]);
        overMemory = userName.EndsWith(OverMemorySuffix, StringComparison.Ordinal);
        if (overMemory)
        {
            userName = userName[..^OverMemorySuffix.Length];
        }

        command = spec.Id;
        commandArguments = arguments[2..];
        return true;
    }
}
