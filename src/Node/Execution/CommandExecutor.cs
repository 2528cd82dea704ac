using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Log;

namespace RaftKV.Node.Execution;

/// <summary>
/// The one path for keyspace commands from RESP and gRPC alike. On the leader, writes become log entries and
/// are answered with the reply their apply produced; reads wait for a read barrier and then read the local
/// state. On a follower, commands go to the leader (relayed or redirected). Connection and server commands
/// never come here.
/// </summary>
internal sealed partial class CommandExecutor(
    RaftHost raft,
    WriteBatcher batcher,
    DiskSpaceGuard disk,
    IOptions<NodeOptions> options,
    TimeProvider clock,
    ILogger<CommandExecutor> logger)
{
    public const string NoLeader = "CLUSTERDOWN No Raft leader";
    public const string UnknownOutcome = "CLUSTERDOWN The write was sent but its outcome is unknown (leadership changed or timed out)";
    public const string ReadFailed = "CLUSTERDOWN The read could not be confirmed by a quorum";
    public const string LeaderUnreachable = "CLUSTERDOWN The leader could not be reached";

    private readonly NodeOptions _options = options.Value;
    private readonly ILogger _logger = logger;

    /// <param name="arguments">The whole request, the command name at index 0.</param>
    public async ValueTask<Reply> ExecuteAsync(CommandSpec spec, byte[][] arguments, IExecutionCaller caller, CancellationToken token)
    {
        var args = arguments.AsSpan(1).ToArray();
        if (KeyValueStore.Validate(spec.Id, args) is { } invalid)
            return invalid;

        if (!raft.IsStarted)
            return Reply.Error(NoLeader);
        if (raft.IsLeader)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(_options.CommandTimeoutMs);
            return spec.IsWrite
                ? await WriteAsync(spec.Id, args, timeout.Token).ConfigureAwait(false)
                : await ReadAsync(spec.Id, args, timeout.Token).ConfigureAwait(false);
        }

        if (caller.IsForwarded)
            return Reply.Error(NoLeader);
        return await ForwardAsync(arguments, caller, token).ConfigureAwait(false);
    }

    /// <summary>Milliseconds since the Unix epoch by the leader's clock, never behind the last applied entry.</summary>
    public long Now() => Math.Max(clock.GetUtcNow().ToUnixTimeMilliseconds(), raft.StateMachine.Read(static s => s.Now));

    private async ValueTask<Reply> WriteAsync(CommandId id, byte[][] args, CancellationToken token)
    {
        if (disk.IsLow)
            return Reply.Error(disk.Message);

        var command = new LogCommand(id, clock.GetUtcNow().ToUnixTimeMilliseconds(), (ulong)Random.Shared.NextInt64(), args);

        // Returns after the entry holding the command is committed by a majority and applied here.
        return await batcher.WriteAsync(command, token).ConfigureAwait(false);
    }

    private async ValueTask<Reply> ReadAsync(CommandId id, byte[][] args, CancellationToken token)
    {
        if (!await BarrierAsync(token).ConfigureAwait(false))
            return Reply.Error(ReadFailed);
        var now = Now();
        return raft.StateMachine.Read(store => store.Read(id, args, now));
    }

    /// <summary>
    /// Waits until the local state reflects every write committed before the call. Strong: one replication round
    /// confirms this node still leads. With a leader lease, a held lease (with DotNext's margin) replaces the round.
    /// </summary>
    public async ValueTask<bool> BarrierAsync(CancellationToken token)
    {
        try
        {
            var type = _options.LeaderLease && raft.Cluster.TryGetLeaseToken(out var lease) && !lease.IsCancellationRequested
                ? ReadBarrierType.Weak
                : ReadBarrierType.Strong;
            await raft.Cluster.ApplyReadBarrierAsync(type, token).ConfigureAwait(false);
            return raft.IsLeader;
        }
        catch (Exception e) when (e is QuorumUnreachableException or NotLeaderException or OperationCanceledException or InvalidOperationException)
        {
            return false;
        }
    }

    private async ValueTask<Reply> ForwardAsync(byte[][] arguments, IExecutionCaller caller, CancellationToken token)
    {
        var leaderChanged = raft.LeaderChangeToken;
        var leader = await raft.GetLeaderRespEndpointAsync(token).ConfigureAwait(false);
        if (leader is null)
            return Reply.Error(NoLeader);
        if (_options.FollowerMode == FollowerMode.Redirect)
            return Reply.Error("MOVED 0 " + leader);

        var connection = caller.Forwarder;
        if (connection is not null && connection.Endpoint != leader)
        {
            caller.Forwarder = null;
            await connection.DisposeAsync().ConfigureAwait(false);
            connection = null;
        }

        try
        {
            if (connection is null)
            {
                using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                connectTimeout.CancelAfter(_options.CommandTimeoutMs);
                connection = await ForwardingConnection.ConnectAsync(leader, connectTimeout.Token).ConfigureAwait(false);
                caller.Forwarder = connection;
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            // Nothing was sent: the command did not run.
            return Reply.Error(LeaderUnreachable);
        }

        try
        {
            // A leader that stops answering (paused, partitioned) is replaced by an election; the relayed command
            // stops waiting for it then, with an unknown outcome, instead of hanging until the timeout.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token, leaderChanged);
            timeout.CancelAfter(_options.CommandTimeoutMs);
            return await connection.SendAsync(arguments, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException
                                      or RaftKV.Protocol.Resp.RespProtocolException)
        {
            // Sent, no reply: the outcome is unknown and the command is never re-sent.
            caller.Forwarder = null;
            await connection.DisposeAsync().ConfigureAwait(false);
            LogForwardFailed(leader, e.Message);
            return Reply.Error(UnknownOutcome);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding to leader {Leader} failed: {Reason}")]
    private partial void LogForwardFailed(string leader, string reason);
}
