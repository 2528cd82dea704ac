using System.Text;
using RaftKV.Node.Execution;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Resp;

/// <summary>
/// Redis's BUSY state: while a script has run past busy-reply-threshold (lua-time-limit), the leader answers every
/// command but the few Redis flags allow-busy with <c>-BUSY ... SCRIPT KILL</c> (FUNCTION KILL for a function), and
/// EXEC with EXECABORT (discarding the transaction), as Redis's processCommand. Wall time on this node, not replicated:
/// the script itself runs on, slice by slice, as the log decides (Raft/KvStateMachine.Scripts.cs). Before the threshold
/// a command simply waits for the script, as in Redis.
/// </summary>
internal sealed partial class ClientSession
{
    // Redis 7.0's CMD_ALLOW_BUSY commands (auth, hello, multi, discard, watch, unwatch, quit, reset; RaftKV has no shutdown or replconf;
    // script kill, function kill, function stats).
    private static bool AllowedWhileBusy(CommandSpec spec, byte[][] arguments) =>
        spec.Id is CommandId.Auth or CommandId.Hello or CommandId.Multi or CommandId.Discard or CommandId.Watch or CommandId.Unwatch
            or CommandId.Quit or CommandId.Reset
        || (spec.Id == CommandId.Script && arguments.Length == 2 && Ascii.EqualsIgnoreCase(arguments[1], "KILL"u8))
        || (spec.Id == CommandId.Function && arguments.Length == 2
            && (Ascii.EqualsIgnoreCase(arguments[1], "KILL"u8) || Ascii.EqualsIgnoreCase(arguments[1], "STATS"u8)));

    /// <summary>The BUSY error for this command now, or null.</summary>
    private string? BusyRefusal(CommandSpec spec, byte[][] arguments)
    {
        if (_services.Raft.StateMachine.Suspension is not { IsBusy: true } suspension || !_services.Raft.IsLeader
            || AllowedWhileBusy(spec, arguments))
            return null;
        return suspension.IsEval ? ScriptDecider.BusyEval : ScriptDecider.BusyFunction;
    }

    /// <summary>Answers a command refused (busy, or EXEC over maxmemory): EXEC aborts and discards its transaction, as Redis's execCommandAbort.</summary>
    private async ValueTask<Reply> RefuseBusyAsync(CommandSpec spec, string busy)
    {
        _transaction.Flag();
        if (spec.Id != CommandId.Exec)
            return Reply.Error(busy);
        if (_transaction.IsActive)
        {
            _transaction.End();
            await _services.Executor.UnwatchAsync(_transaction, this, _closed.Token).ConfigureAwait(false);
        }

        return Reply.Error("EXECABORT Transaction discarded because of: " + busy);
    }
}
