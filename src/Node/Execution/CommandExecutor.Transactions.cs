using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Transactions;

namespace RaftKV.Node.Execution;

/// <summary>WATCH and EXEC: one Transaction entry on the leader, a MULTI ... EXEC pipeline relayed from a follower.</summary>
internal sealed partial class CommandExecutor
{
    private static readonly byte[] MultiName = "MULTI"u8.ToArray();
    private static readonly byte[] ExecName = "EXEC"u8.ToArray();
    private static readonly byte[] UnwatchName = "UNWATCH"u8.ToArray();

    /// <summary>
    /// WATCH <paramref name="request"/>'s keys for <paramref name="transaction"/>. On the leader: after a read barrier,
    /// each key's revision and liveness under the state machine's read lock. On a follower: WATCH is relayed on the
    /// caller's forwarding connection, whose session on the leader then holds the watch.
    /// </summary>
    public async ValueTask<Reply> WatchAsync(Transaction transaction, byte[][] request, IExecutionCaller caller, CancellationToken token)
    {
        if (!raft.IsStarted)
            return Reply.Error(NoLeader);
        if (raft.IsLeader)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(_options.CommandTimeoutMs);
            if (!await BarrierAsync(timeout.Token).ConfigureAwait(false))
                return Reply.Error(ReadFailed);
            var now = Now();
            var keys = request[1..];
            List<WatchedKey> watches;
            try
            {
                watches = await raft.StateMachine.ReadAsync(store => keys.Select(key => store.Watch(key, now)).ToList(), timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                // An apply held the state past the command timeout: as any read that waited that long.
                return Reply.Error(ReadFailed);
            }

            transaction.AddWatches(watches, Transaction.LocalRoute);
            return Reply.Ok;
        }

        if (caller.IsForwarded)
            return Reply.Error(NoLeader);
        var reply = await ForwardAsync(request, caller, token).ConfigureAwait(false);
        if (reply is not ErrorReply && caller.Forwarder is { } route)
            transaction.AddForwardedWatch(route);
        return reply;
    }

    /// <summary>
    /// Ends the caller's watches (UNWATCH, DISCARD, RESET, an aborted EXEC): a watch held by the leader's session for the
    /// caller's forwarding connection is released there with UNWATCH, so it cannot fail a later transaction.
    /// </summary>
    public async ValueTask UnwatchAsync(Transaction transaction, IExecutionCaller caller, CancellationToken token)
    {
        var route = transaction.WatchRoute;
        transaction.Unwatch();
        if (route is ForwardingConnection connection && ReferenceEquals(caller.Forwarder, connection))
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(_options.CommandTimeoutMs);
                await connection.SendAsync([UnwatchName], caller.ProtocolVersion, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException
                                          or RaftKV.Protocol.Resp.RespProtocolException or ObjectDisposedException)
            {
                // The connection is broken: the leader's session, and its watch, end with it.
                await DropForwarderAsync(caller, connection).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Runs EXEC for the keyspace commands of <paramref name="transaction"/> (<paramref name="requests"/>, whole requests)
    /// under its watches: the array of their replies, the null array when a watched key changed (or the watch was lost,
    /// see <see cref="Transaction"/>), or an error (no leader, unknown outcome). On the leader, one Transaction entry that
    /// every replica applies all or nothing; on a follower, MULTI, the commands and EXEC in one write on the caller's
    /// forwarding connection, so the leader queues and runs them as one transaction.
    /// </summary>
    /// <param name="timing">Told how long the Transaction entry's apply took on this leader (SLOWLOG).</param>
    public async ValueTask<Reply> ExecAsync(Transaction transaction, IReadOnlyList<byte[][]> requests, IExecutionCaller caller, CancellationToken token,
        ExecutionTiming? timing = null)
    {
        var route = transaction.WatchRoute;
        if (requests.Count == 0 && route is null)
            return Reply.EmptyArray;
        if (!raft.IsStarted)
            return Reply.Error(NoLeader);
        if (raft.IsLeader)
        {
            if (transaction.WatchLost || (route is not null && route != Transaction.LocalRoute))
                return Reply.NullArray;
            if (requests.Count == 0 && transaction.Watches.Count == 0)
                return Reply.EmptyArray;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(_options.CommandTimeoutMs);
            if (requests.Any(static r => CommandTable.TryGet(r[0], out var spec) && spec.Id.IsLockWrite())
                && !await leases.WaitExtendedAsync(timeout.Token).ConfigureAwait(false))
                return Reply.Error(LeasesPending);
            if (disk.IsLow)
                return Reply.Error(disk.Message);
            var now = clock.Now();
            var commands = new List<LogCommand>(requests.Count);
            foreach (var request in requests)
            {
                CommandTable.TryGet(request[0], out var spec);
                // A queued script carries the caller's user, as one run outside a transaction (see WriteAsync).
                commands.Add(ScriptUserEntry.Wrap(KeyValueStore.ToLogForm(new LogCommand(spec!.Id, now, (ulong)Random.Shared.NextInt64(), request[1..])), caller.UserName,
                    ScriptUserEntry.Carries(spec.Id) && OutOfMemoryForScripts()));
            }

            var entry = TransactionEntry.Encode(now, 0, transaction.Watches, commands);
            // A tracking client's reads are remembered as they run, at apply (ExecTrackingPlan); its scripts' ACL refusals are logged.
            return await batcher.WriteAsync(entry, timeout.Token, probe: transaction.Probe, timing: timing).ConfigureAwait(false);
        }

        if (caller.IsForwarded)
            return Reply.Error(NoLeader);
        if (transaction.WatchLost || route == Transaction.LocalRoute
            || (route is ForwardingConnection watched && (!ReferenceEquals(caller.Forwarder, watched)
                                                          || watched.Endpoint != await raft.GetLeaderRespEndpointAsync(token).ConfigureAwait(false))))
            return Reply.NullArray;
        // This node's applier cannot tell which entry is this transaction: a tracking client's reads are remembered now,
        // before it can run (a spare invalidation at worst).
        transaction.TrackingPlan?.RememberAll();
        // Without a watch of its own, the transaction first clears any the leader's session may still hold for this
        // connection (a RESET here does not reach it), so a stale one cannot fail it.
        var pipeline = new List<byte[][]>(requests.Count + 3);
        if (route is null)
            pipeline.Add([UnwatchName]);
        pipeline.Add([MultiName]);
        pipeline.AddRange(requests);
        pipeline.Add([ExecName]);
        return await ForwardAsync([ExecName], caller,
            (connection, timeout) => connection.SendPipelineAsync(pipeline, caller.ProtocolVersion, timeout), token).ConfigureAwait(false);
    }
}
