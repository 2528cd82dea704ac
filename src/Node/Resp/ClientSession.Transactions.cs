using RaftKV.Node.Execution;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Resp;

/// <summary>
/// MULTI, EXEC, DISCARD, WATCH and UNWATCH: the session keeps the queue (<see cref="Transaction"/>), the executor runs
/// it. EXEC's array is spliced in queue order from three sources: the keyspace commands' replies from the one
/// Transaction entry (reads included, so they see the transaction's earlier writes), the validator's errors kept at
/// queue time, and the replies of the commands that are not keyspace commands (PING, ECHO, CLIENT, INFO, CONFIG, ...),
/// which the session runs itself right after the entry applied, in queue order; a watch conflict runs none of them.
/// </summary>
internal sealed partial class ClientSession
{
    private readonly Transaction _transaction = new();

    private static bool IsTransactionCommand(CommandId id) =>
        id is CommandId.Multi or CommandId.Exec or CommandId.Discard or CommandId.Watch or CommandId.Unwatch;

    private async ValueTask<Reply?> ExecuteTransactionCommandAsync(CommandSpec spec, byte[][] request)
    {
        switch (spec.Id)
        {
            case CommandId.Multi:
                return _transaction.Begin();
            case CommandId.Discard:
                if (!_transaction.IsActive)
                    return Reply.Error("ERR DISCARD without MULTI");
                _transaction.End();
                await _services.Executor.UnwatchAsync(_transaction, this, _closed.Token).ConfigureAwait(false);
                return Reply.Ok;
            case CommandId.Watch:
                if (_transaction.IsActive)
                    return Reply.Error("ERR WATCH inside MULTI is not allowed");
                return await _services.Executor.WatchAsync(_transaction, request, this, _closed.Token).ConfigureAwait(false);
            case CommandId.Unwatch:
                await _services.Executor.UnwatchAsync(_transaction, this, _closed.Token).ConfigureAwait(false);
                return Reply.Ok;
            default:
                return await ExecAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask<Reply?> ExecAsync()
    {
        if (!_transaction.IsActive)
            return Reply.Error("ERR EXEC without MULTI");
        if (_transaction.IsDirty)
        {
            _transaction.End();
            await _services.Executor.UnwatchAsync(_transaction, this, _closed.Token).ConfigureAwait(false);
            return Reply.Error("EXECABORT Transaction discarded because of previous errors.");
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // As Redis, each queued command is checked again against the ACL rules now; one no longer allowed is not run.
        var queued = _transaction.Queued
            .Select(q => q.RuntimeError is null && _services.Access.RecheckAtExec(Identity, q.Spec, q.Request, IsForwarded ? null : DescribeClientOnce) is { } denied ? q with { RuntimeError = denied } : q)
            .ToList();
        var keyspace = queued.Where(static q => q.RuntimeError is null && Transaction.IsKeyspace(q.Spec)).Select(static q => q.Request).ToList();
        _transaction.TrackingPlan?.Align(keyspace);
        Reply result;
        var timing = SlowLogOn ? new ExecutionTiming() : null;
        try
        {
            result = await _services.Executor.ExecAsync(_transaction, keyspace, this, _closed.Token, timing).ConfigureAwait(false);
        }
        finally
        {
            // The watches were consumed by this EXEC (the leader's session for a forwarding connection ends its own).
            _transaction.End();
            _transaction.Unwatch();
        }

        if (result is not ArrayReply applied)
            return result;

        var items = new List<Reply>(queued.Count);
        var next = 0;
        // SLOWLOG: the keyspace commands with an even share of their entry's apply (of the time until its reply when not
        // applied here, a transaction relayed by a follower), the others with their own time.
        var entryTicks = (timing is { Ticks: >= 0 and var entryApply } ? entryApply : System.Diagnostics.Stopwatch.GetTimestamp() - started) / Math.Max(1, keyspace.Count);
        _runningExec = true;
        try
        {
            foreach (var command in queued)
            {
                var first = items.Count;
                if (command.RuntimeError is { } error)
                    items.Add(error);
                else if (Transaction.IsKeyspace(command.Spec))
                {
                    items.Add(next < applied.Items.Count ? applied.Items[next++] : Reply.Error(CommandExecutor.UnknownOutcome));
                    RecordIfSlow(command.Spec, command.Request, entryTicks);
                }
                else
                {
                    var own = System.Diagnostics.Stopwatch.GetTimestamp();
                    items.AddRange(await RunInsideExecAsync(command).ConfigureAwait(false));
                    RecordIfSlow(command.Spec, command.Request, System.Diagnostics.Stopwatch.GetTimestamp() - own);
                }

                // As Redis, each command run by EXEC counts in INFO commandstats (timed with the whole transaction).
                _services.Stats.Called(FullCommandName(command.Spec, command.Request), started, items.Count > first ? items[first] as ErrorReply : null,
                    command.Spec.Name, IsForwarded ? "forwarded" : "resp");
            }
        }
        finally
        {
            _runningExec = false;
        }

        return new ArrayReply(items);
    }

    /// <summary>A command that is not a keyspace command, run by the session at EXEC: its reply, or the pushes it queued (SUBSCRIBE).</summary>
    private async ValueTask<IEnumerable<Reply>> RunInsideExecAsync(QueuedCommand command)
    {
        // UNWATCH is queued inside MULTI, as in Redis; EXEC has already ended the watches.
        if (command.Spec.Id == CommandId.Unwatch)
            return [Reply.Ok];
        var pushesBefore = _batch.Count;
        Reply? reply;
        if ((command.Spec.Flags & CommandFlags.Connection) != 0 && command.Spec.Id != CommandId.Wait)
            reply = ExecuteConnectionCommand(command.Spec, command.Request);
        else
            reply = await _services.Server.ExecuteAsync(command.Spec, command.Request, this, _closed.Token).ConfigureAwait(false);
        if (reply is not null)
            return [reply];
        var pushed = _batch.GetRange(pushesBefore, _batch.Count - pushesBefore);
        _batch.RemoveRange(pushesBefore, _batch.Count - pushesBefore);
        return pushed;
    }

    /// <summary>Whether a queued command (one without a queue-time error) would be refused for memory now (EXEC's OOM check).</summary>
    private async ValueTask<bool> QueuedRefusedForMemoryAsync()
    {
        foreach (var queued in _transaction.Queued)
        {
            if (queued.RuntimeError is null && await _services.Executor.RefusesForMemoryAsync(queued.Spec, queued.Request, _closed.Token).ConfigureAwait(false))
                return true;
        }

        return false;
    }
}
