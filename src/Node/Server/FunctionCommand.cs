using RaftKV.Node.Execution;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine;

namespace RaftKV.Node.Server;

/// <summary>
/// FUNCTION's subcommands. The libraries are replicated state: LOAD, DELETE, FLUSH and RESTORE are checked here for what
/// needs no state (Redis's option errors) and proposed as one FUNCTION log entry, which every replica applies (a
/// follower relays the command to the leader, which checks and proposes it). LIST, DUMP and STATS are linearizable reads
/// on the leader (after a read barrier; a follower relays them). KILL asks the leader's <see cref="ScriptDecider"/> to
/// kill the suspended function (Raft/KvStateMachine.Scripts.cs). FCALL and FCALL_RO are not here: they are a write and a read of the keyspace.
/// </summary>
internal sealed class FunctionCommand(CommandExecutor executor, ScriptDecider decider)
{
    private static readonly Dictionary<string, int> Arities = new(StringComparer.Ordinal)
    {
        ["DELETE"] = 3, ["DUMP"] = 2, ["FLUSH"] = -2, ["HELP"] = 2, ["KILL"] = 2,
        ["LIST"] = -2, ["LOAD"] = -3, ["RESTORE"] = -3, ["STATS"] = 2,
    };

    public async ValueTask<Reply> ExecuteAsync(byte[][] args, IExecutionCaller caller, CancellationToken token)
    {
        if (Subcommands.Check("FUNCTION", args, Arities, out var sub) is { } invalid)
            return invalid;
        if (sub == "KILL")
            return await executor.OnLeaderAsync(t => decider.KillAsync(eval: false, t), args, caller, token).ConfigureAwait(false);
        if (sub == "HELP")
            return Help();
        var arguments = args[1..];
        if (KeyValueStore.ValidateFunction(arguments) is { } error)
            return error;
        if (KeyValueStore.IsFunctionWrite(arguments))
            return await executor.ProposeAsync(CommandId.Function, arguments, args, caller, token,
                denyOom: sub is "LOAD" or "RESTORE").ConfigureAwait(false);
        return await executor.ReadStateAsync(store => store.Read(CommandId.Function, arguments, store.Now), args, caller, token)
            .ConfigureAwait(false);
    }

    private static Reply Help() => Subcommands.Help("FUNCTION",
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).");
}
