using System.Text;
using RaftKV.Node.Execution;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Server;

/// <summary>
/// SCRIPT LOAD, FLUSH, EXISTS, KILL, DEBUG and HELP. The script cache is replicated state: LOAD and FLUSH are log entries
/// (ScriptLoad, ScriptFlush) applied on every replica, so a script loaded through any node runs by SHA on every node and
/// survives restarts and snapshot installs; EXISTS is a read (on the leader after a read barrier, relayed by a follower).
/// KILL asks the leader's <see cref="ScriptDecider"/> to kill the suspended script (Raft/KvStateMachine.Scripts.cs).
/// </summary>
internal sealed class ScriptCommand(CommandExecutor executor, ScriptDecider decider)
{
    public async ValueTask<Reply> ExecuteAsync(byte[][] args, IExecutionCaller caller, CancellationToken token)
    {
        var sub = Encoding.ASCII.GetString(args[1]).ToUpperInvariant();
        switch (sub)
        {
            case "LOAD" when args.Length == 3:
                return await executor.ProposeAsync(CommandId.ScriptLoad, [args[2]], args, caller, token).ConfigureAwait(false);
            case "FLUSH" when args.Length <= 3:
                if (args.Length == 3 && !Ascii.EqualsIgnoreCase(args[2], "SYNC"u8) && !Ascii.EqualsIgnoreCase(args[2], "ASYNC"u8))
                    return Reply.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
                return await executor.ProposeAsync(CommandId.ScriptFlush, [], args, caller, token).ConfigureAwait(false);
            case "EXISTS" when args.Length >= 3:
                var shas = args[2..];
                return await executor.ReadStateAsync(store => store.ScriptExists(shas), args, caller, token).ConfigureAwait(false);
            case "KILL" when args.Length == 2:
                return await executor.OnLeaderAsync(t => decider.KillAsync(eval: true, t).AsTask(), args, caller, executor.CommandTimeout, token).ConfigureAwait(false);
            case "DEBUG" when args.Length == 3:
                return Reply.Error("ERR SCRIPT DEBUG is not supported: scripts run inside the replicated log");
            case "HELP" when args.Length == 2:
                return Reply.Array(Help.Select(Reply.Simple).ToArray());
            default:
                return Reply.Error($"ERR unknown subcommand or wrong number of arguments for '{Encoding.UTF8.GetString(args[1])}'. Try SCRIPT HELP.");
        }
    }

    private static readonly string[] Help =
    [
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Prints this help.",
    ];
}
