using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Log;

namespace RaftKV.Node.Raft;

/// <summary>
/// The apply of one command (an entry's, a Batch's or a Transaction's): the store's apply, then what this node does
/// with its outcome (PUBLISH, keyspace changes for client tracking and gRPC Watch, blocked clients woken), and the
/// node-local bookkeeping a client's probe asks for between a transaction's commands.
/// </summary>
internal sealed partial class KvStateMachine
{
    /// <summary>
    /// Applies one entry (or one command of a Batch, at <paramref name="position"/>); the caller holds the write lock.
    /// A Transaction (EXEC) applies its commands here one by one, as a batch's, so PUBLISH inside it reaches this node's
    /// subscribers and its writes wake blocked clients; the store checks its WATCH conditions first and pins one revision.
    /// </summary>
    private Reply ApplyEntry(long index, int position, LogCommand command) =>
        command.Command != CommandId.Transaction ? ApplyOne(index, position, command, suspendable: true) : ApplyTransaction(index, position, command);

    // The probe of the entry Run is applying (applier thread, under the write lock): a tracking client's EXEC
    // remembers each read's keys as it runs (PubSub.ExecTrackingPlan).
    private Execution.ClientProbe? _applyingProbe;

    // A method of its own: the lambda's captures, in ApplyEntry, were allocated for every command applied.
    private Reply ApplyTransaction(long index, int position, LogCommand command)
    {
        try
        {
            if (_applyingProbe is not { } probe)
                return _store.ApplyTransaction(command, index, position, inner => ApplyOne(index, position, inner, suspendable: false));
            var step = 0;
            return _store.ApplyTransaction(command, index, position, inner =>
            {
                var at = step++;
                NodeLocalStep(index, () => probe.TransactionStepStarting(at));
                KeyValueStore.ClearScriptCalledRead();
                var reply = ApplyOne(index, position, inner, suspendable: false);
                var calledRead = KeyValueStore.ScriptCalledReadOnThisThread;
                NodeLocalStep(index, () => probe.TransactionStep(at, calledRead));
                return reply;
            });
        }
        catch (Exception e)
        {
            LogApplyFailed(index, command.Command.ToString(), e);
            return Reply.Error("ERR internal error while applying the command");
        }
    }

    // Node-local bookkeeping (client tracking, the ACL LOG) during an apply: a failure must not stop the apply on this node.
    private void NodeLocalStep(long index, Action step)
    {
        try
        {
            step();
        }
        catch (Exception e)
        {
            LogNodeLocalStepFailed(index, e);
        }
    }

    /// <summary>
    /// Applies one client command; the caller holds the write lock. A <paramref name="suspendable"/> script may be left
    /// suspended at the end of a slice (KvStateMachine.Scripts.cs): then its reply and effects come when it ends.
    /// </summary>
    private Reply ApplyOne(long index, int position, LogCommand command, bool suspendable)
    {
        if (command.Command is CommandId.Publish or CommandId.Spublish)
            return Publisher?.Invoke(command) ?? Reply.Zero;
        try
        {
            var reply = suspendable ? _store.ApplySuspendable(command, index, position) : _store.Apply(command, index, position);
            Volatile.Write(ref _storeNow, _store.Now);
            return _store.IsScriptSuspended ? reply : AfterApply(command, reply);
        }
        catch (Exception e)
        {
            LogApplyFailed(index, command.Command.ToString(), e);
            return Reply.Error("ERR internal error while applying the command");
        }
    }

    // The wakes of blocked clients made by the entry being applied (applier thread, under the write lock).
    private List<Task>? _wakeHolds;

    private void HoldFor(Task? wake)
    {
        if (wake is not null)
            (_wakeHolds ??= []).Add(wake);
    }

    /// <summary>What follows a command's apply once its reply is final: its script's messages, the blocked clients it wakes.</summary>
    private Reply AfterApply(LogCommand command, Reply reply)
    {
        // Invalidations of the keys it changed, before its reply reaches its client (NOLOOP knows the writer then).
        // And the changes a gRPC watcher streams, each with the value the key has at this revision.
        if (_store.RecordsKeyChanges)
        {
            var (keys, flushed) = _store.TakeKeyChanges();
            if (keys.Count > 0 || flushed)
            {
                if (KeyChanges is { IsListening: true } sink)
                    sink.Changed(keys, flushed, byClient: command.Command is not (CommandId.ExpireSweep or CommandId.Evict));
                Watch?.Changed(_store.Revision, keys, flushed, _watchView, _watchBefore);
                _store.ReleaseWatchBefore();
            }
        }

        // Messages a script published reach this node's subscribers as an applied PUBLISH would, in order.
        foreach (var (channel, message, sharded) in _store.TakePublished())
            Publisher?.Invoke(new LogCommand(sharded ? CommandId.Spublish : CommandId.Publish, command.TimestampMs, command.Seed, [channel, message]));

        // A blocking pop that found nothing changed nothing: waking its own waiter again would loop. Lock commands
        // name locks, not keys, and wake nobody.
        if (reply is not NullReply { Kind: NullKind.Array } && !command.Command.IsLockWrite()
            && command.Command != CommandId.LockLeaseExtend)
            HoldFor(Touched?.Invoke(command.Arguments));
        if (command.Command is CommandId.Flushall or CommandId.Flushdb)
            HoldFor(TouchedAll?.Invoke());
        return reply;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Node-local bookkeeping (client tracking, ACL LOG) for entry {Index} threw; keys may be left untracked or a refusal unlogged")]
    private partial void LogNodeLocalStepFailed(long index, Exception e);
}
