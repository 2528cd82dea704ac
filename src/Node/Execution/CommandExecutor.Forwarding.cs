using RaftKV.Node.Configuration;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Execution;

/// <summary>A follower's relay of a command to the leader, on the caller's forwarding connection.</summary>
internal sealed partial class CommandExecutor
{
    /// <summary>Relays <paramref name="request"/> to the leader as any relayed command (WAIT: Server/WaitCommand.cs).</summary>
    public ValueTask<Reply> RelayAsync(byte[][] request, IExecutionCaller caller, CancellationToken token) => ForwardAsync(request, caller, token);

    private ValueTask<Reply> ForwardAsync(byte[][] arguments, IExecutionCaller caller, CancellationToken token) =>
        ForwardAsync(arguments, caller, (connection, timeout) => connection.SendAsync(arguments, caller.ProtocolVersion, timeout), token);

    /// <summary>
    /// PUBLISH or SPUBLISH on a follower, relayed to the leader, which puts it in the log: answered with the number of
    /// this node's sessions that receive it (Redis counts the receivers on the node the client is connected to; the
    /// leader's answer counts the leader's). They are counted when the leader answers, not when this node delivers the
    /// message: waiting for that would hold every relayed PUBLISH until this node next hears the commit (a heartbeat
    /// when the cluster is idle). A session that subscribes or leaves in between is counted as it is then.
    /// </summary>
    private async ValueTask<Reply> RelayPublishAsync(byte[][] arguments, byte[][] args, bool sharded, IExecutionCaller caller, ForwardRun? run, CancellationToken token)
    {
        var reply = run?.TryAdd(arguments) is { } relayed
            ? await relayed.ConfigureAwait(false)
            : await ForwardAsync(arguments, caller, token).ConfigureAwait(false);
        return reply is IntegerReply ? Reply.Integer(broker.ReceiverCount(args[0], sharded)) : reply;
    }

    /// <summary>
    /// Relays to the leader on the caller's forwarding connection (opened, or replaced when the leader moved):
    /// <paramref name="send"/> does the exchange, <paramref name="arguments"/> (the request, or EXEC's) sets its timeout.
    /// </summary>
    /// <param name="untilAnswered">When set, the relay waits this long for the leader's answer, even across a leader change.</param>
    private async ValueTask<Reply> ForwardAsync(byte[][] arguments, IExecutionCaller caller,
        Func<ForwardingConnection, CancellationToken, Task<Reply>> send, CancellationToken token, TimeSpan? untilAnswered = null)
    {
        var leaderChanged = raft.LeaderChangeToken;
        var leader = await raft.GetLeaderRespEndpointAsync(token).ConfigureAwait(false);
        if (leader is null)
            return Reply.Error(NoLeader);
        if (_options.FollowerMode == FollowerMode.Redirect)
            return Reply.Error("MOVED 0 " + leader);

        ForwardingConnection? connection;
        try
        {
            connection = await ForwarderAsync(caller, leader, leaderChanged, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            // Nothing was sent: the command did not run.
            return Reply.Error(LeaderUnreachable);
        }

        if (connection is null)
            return Reply.Error(NoClusterSecret);

        var blocking = false;
        try
        {
            // A leader that stops answering (paused, partitioned) is replaced by an election; the relayed command
            // stops waiting for it then, with an unknown outcome, instead of hanging until the timeout.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token, untilAnswered is null ? leaderChanged : CancellationToken.None);
            var limit = untilAnswered ?? ForwardTimeout(arguments, out blocking);

            // The leader answers at once when it can, so a relayed blocking command counts as blocked for one round
            // trip more than it would on the leader; the client is counted on the node it is connected to.
            caller.IsBlocked = blocking;
            timeout.CancelAfter(limit);
            if (await connection.UseUserAsync(caller.UserName, timeout.Token).ConfigureAwait(false) is { } refused)
                return refused;
            return await send(connection, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException
                                      or RaftKV.Protocol.Resp.RespProtocolException or ObjectDisposedException)
        {
            // Sent, no reply: the outcome is unknown and the command is never re-sent. (ObjectDisposedException: another
            // relay of this caller closed the shared connection under this one.)
            // Dropping the connection is also how a relayed blocking command is given up when its client disconnects:
            // the leader sees the relay close and unblocks it, so no element is popped for a client that is gone.
            await DropForwarderAsync(caller, connection).ConfigureAwait(false);
            if (!token.IsCancellationRequested)
                LogForwardFailed(leader, e.Message);
            return Reply.Error(UnknownOutcome);
        }
        finally
        {
            caller.IsBlocked = false;
        }
    }

    /// <summary>
    /// The caller's forwarding connection to <paramref name="leader"/>: the one it has, or a new one (the old one closed
    /// when the leader moved); null while this node does not know the cluster secret yet. One at a time per caller.
    /// </summary>
    private async Task<ForwardingConnection?> ForwarderAsync(IExecutionCaller caller, string leader, CancellationToken leaderChanged, CancellationToken token)
    {
        // All of it within one command timeout, the wait for another relay's connect included: relays to a leader that
        // does not answer fail together instead of one connect timeout after another.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(_options.CommandTimeoutMs);
        await caller.ForwarderGate.WaitAsync(deadline.Token).ConfigureAwait(false);
        try
        {
            // The leader moved while this relay waited: a connection to the new one is not replaced by one to the old.
            if (leaderChanged.IsCancellationRequested && await raft.GetLeaderRespEndpointAsync(deadline.Token).ConfigureAwait(false) is { } current)
                leader = current;
            var connection = caller.Forwarder;
            if (connection is not null && connection.Endpoint != leader)
            {
                caller.Forwarder = null;
                await connection.DisposeAsync().ConfigureAwait(false);
                connection = null;
            }

            if (connection is not null)
                return connection;

            // The handshake proves membership with the cluster secret, which a brand-new node is still learning.
            if (await Security.MemberSecret.WaitAsync(raft, TimeSpan.FromMilliseconds(_options.CommandTimeoutMs), deadline.Token).ConfigureAwait(false) is not { } secret)
                return null;
            connection = await ForwardingConnection.ConnectAsync(
                leader, secret, tls.Options.Resp ? tls.ClientOptions(null) : null, deadline.Token).ConfigureAwait(false);
            caller.Forwarder = connection;
            return connection;
        }
        finally
        {
            caller.ForwarderGate.Release();
        }
    }

    /// <summary>Closes a forwarding connection whose exchange failed; the caller's next relay opens another.</summary>
    internal static async Task DropForwarderAsync(IExecutionCaller caller, ForwardingConnection connection)
    {
        await caller.ForwarderGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (ReferenceEquals(caller.Forwarder, connection))
                caller.Forwarder = null;
        }
        finally
        {
            caller.ForwarderGate.Release();
        }

        await connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// A relayed blocking command may wait as long as its own timeout (forever for 0) before the leader answers. A relayed
    /// script (EVAL, EVALSHA, FCALL) waits until the leader answers or changes: the leader bounds its commit by the
    /// command timeout and then answers when the script ends, after as many slices as it runs (Raft/KvStateMachine.Scripts.cs).
    /// </summary>
    private TimeSpan ForwardTimeout(byte[][] arguments, out bool blocking)
    {
        var limit = TimeSpan.FromMilliseconds(_options.CommandTimeoutMs);
        blocking = false;
        if (CommandTable.TryGet(arguments[0], out var script) && script.Id is CommandId.Eval or CommandId.Evalsha or CommandId.Fcall)
            return Timeout.InfiniteTimeSpan;
        // WAIT blocks up to its timeout (0: for ever), as a blocking command (WaitCommand relays it normalized).
        if (script?.Id == CommandId.Wait && arguments.Length == 3 && RaftKV.Protocol.Resp.RedisNumber.TryParseLong(arguments[2], out var waitMs))
        {
            blocking = waitMs > 0 || arguments[1] is not [(byte)'0'];
            return waitMs == 0 ? (blocking ? Timeout.InfiniteTimeSpan : limit) : TimeSpan.FromMilliseconds(waitMs) + limit;
        }

        if (!CommandTable.TryGet(arguments[0], out var spec) || !BlockingCommand.IsBlocking(spec.Id)
            || !BlockingCommand.TryParse(spec.Id, arguments, out _, out var timeout))
            return limit;
        blocking = true;
        return timeout is { } block ? block + limit : Timeout.InfiniteTimeSpan;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding to leader {Leader} failed: {Reason}")]
    private partial void LogForwardFailed(string leader, string reason);
}
