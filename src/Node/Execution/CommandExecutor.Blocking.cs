using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Execution;

/// <summary>Blocking commands on the leader (BLPOP, BZPOPMIN, XREAD BLOCK ...): wait for a write to a key, then try again.</summary>
internal sealed partial class CommandExecutor
{
    /// <summary>
    /// A blocking pop on the leader: the client waits, FIFO per key, until an applied write touches one of its keys;
    /// then its command is proposed again as a new log entry, and that entry's reply is the answer. The timeout
    /// answers the null array, a leadership change answers UNBLOCKED, as Redis does on failover.
    /// </summary>
    private async ValueTask<Reply> BlockAsync(CommandSpec spec, byte[][] arguments, byte[][] args, IExecutionCaller caller, CancellationToken token)
    {
        if (!BlockingCommand.TryParse(spec.Id, arguments, out var keys, out var timeout))
            return await AttemptAsync(spec, args, token).ConfigureAwait(false);

        var leaderChanged = raft.LeaderChangeToken;
        var waiter = waiters.Add(keys.Select(BlockingWaiters.Key).ToList());
        TaskCompletionSource? wake = null;
        using var wait = new BlockedWait();
        caller.Wait = wait;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token, leaderChanged, wait.Token);
        if (timeout is { } limit)
            deadline.CancelAfter(limit);
        try
        {
            // XREAD BLOCK ... $ waits for entries added after it blocked: '$' becomes each stream's last id now.
            if (spec.Id == CommandId.Xread)
            {
                if (!await BarrierAsync(token).ConfigureAwait(false))
                    return Reply.Error(ReadFailed);
                var now = Now();
                args = await raft.StateMachine.ReadAsync(store => store.ResolveStreamReadIds(args, now), token).ConfigureAwait(false);
            }

            var woken = false;
            while (true)
            {
                // A client that disconnected (token) must not take the element: its pop is never proposed after that.
                token.ThrowIfCancellationRequested();
                var reply = await AttemptAsync(spec, args, token).ConfigureAwait(false);
                if (woken)
                {
                    var keysAreStreams = BlockingCommand.AsksKeyTypes(spec.Id, reply) && await KeysAreStreamsAsync(keys, token).ConfigureAwait(false);
                    reply = BlockingCommand.AfterWake(spec.Id, reply, keysAreStreams);
                }
                if (reply is not NullReply { Kind: NullKind.Array })
                    return reply;

                // Blocked again: the write that woke it may be answered (BlockingWaiters' remarks).
                wake?.TrySetResult();
                wake = null;
                caller.IsBlocked = true;
                waiter.Attempting = false;
                try
                {
                    await waiter.Signal.WaitAsync(deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    if (leaderChanged.IsCancellationRequested || !raft.IsLeader)
                        return Reply.Error(Unblocked);
                    // CLIENT UNBLOCK ... TIMEOUT answers as the timeout does.
                    return wait.Token.IsCancellationRequested && wait.AsError ? Reply.Error(BlockedWait.UnblockedError) : Reply.NullArray;
                }

                waiter.Attempting = true;
                wake = waiter.TakeWake();
                if (!raft.IsLeader)
                    return Reply.Error(Unblocked);
                woken = true;
            }
        }
        finally
        {
            caller.IsBlocked = false;
            caller.Wait = null;
            waiters.Remove(waiter, wake);
        }
    }

    private ValueTask<bool> KeysAreStreamsAsync(IReadOnlyList<byte[]> keys, CancellationToken token)
    {
        var now = Now();
        return raft.StateMachine.ReadAsync(store => keys.All(key => store.Read(CommandId.Type, [key], now) is SimpleStringReply { Value: "stream" }), token);
    }

    /// <summary>One try of a blocking command: a write (an entry), or for XREAD a read.</summary>
    private async ValueTask<Reply> AttemptAsync(CommandSpec spec, byte[][] args, CancellationToken token)
    {
        if (spec.IsWrite)
            return await WriteWithTimeoutAsync(spec.Id, args, token).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(_options.CommandTimeoutMs);
        return await ReadAsync(spec.Id, args, timeout.Token).ConfigureAwait(false);
    }
}
