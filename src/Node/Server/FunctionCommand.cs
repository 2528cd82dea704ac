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
internal sealed class FunctionCommand(CommandExecutor executor, ScriptDecider decider, RaftKV.Node.Raft.RaftHost raft)
{
    public async ValueTask<Reply> ExecuteAsync(byte[][] args, IExecutionCaller caller, CancellationToken token)
    {
        if (Subcommands.Check("FUNCTION", args, out var sub) is { } invalid)
            return invalid;
        if (sub == "KILL")
            return await executor.OnLeaderAsync(t => decider.KillAsync(eval: false, t).AsTask(), args, caller, executor.CommandTimeout, token).ConfigureAwait(false);
        if (sub == "HELP")
            return Help();
        if (sub == "STATS" && raft.IsStarted && raft.StateMachine.Suspension is { IsEval: false } running)
            return await RunningStatsAsync(running, token).ConfigureAwait(false);
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

    /// <summary>
    /// FUNCTION STATS while a function runs on this node (suspended between slices): Redis's running_script (name, the
    /// FCALL command, duration_ms on this node), answered at once as Redis's allow-busy command, with the engine counts.
    /// </summary>
    private async ValueTask<Reply> RunningStatsAsync(RaftKV.Node.Raft.ScriptSuspension running, CancellationToken token)
    {
        var arguments = running.Command.Command == CommandId.ScriptAsUser ? running.Command.Arguments[1..] : ["fcall"u8.ToArray(), .. running.Command.Arguments];
        var idle = await raft.StateMachine.ReadAsync(store => store.Read(CommandId.Function, ["STATS"u8.ToArray()], store.Now), token).ConfigureAwait(false);
        var engines = idle is MapReply map ? map.Entries.Where(e => e.Key is not BulkReply { Value: var key } || !key.AsSpan().SequenceEqual("running_script"u8)).ToList() : [];
        var script = new MapReply(
        [
            new(Reply.Bulk("name"), Reply.Bulk(arguments.Length > 1 ? arguments[1] : [])),
            new(Reply.Bulk("command"), Reply.Array(arguments.Select(a => (Reply)Reply.Bulk(a)).ToArray())),
            new(Reply.Bulk("duration_ms"), Reply.Integer((long)System.Diagnostics.Stopwatch.GetElapsedTime(running.StartedTimestamp).TotalMilliseconds)),
        ]);
        return new MapReply([new(Reply.Bulk("running_script"), script), .. engines]);
    }
}
