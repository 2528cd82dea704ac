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
    BlockingWaiters waiters,
    DiskSpaceGuard disk,
    IOptions<NodeOptions> options,
    LeaderClock clock,
    LockLeases leases,
    ILogger<CommandExecutor> logger,
    Security.NodeTls tls,
    ExpirySweeper expiry,
    PubSub.PubSubBroker broker,
    MemoryEvictor evictor)
{
    public const string NoLeader = "CLUSTERDOWN No Raft leader";
    public const string UnknownOutcome = "CLUSTERDOWN The write was sent but its outcome is unknown (leadership changed or timed out)";
    public const string ReadFailed = "CLUSTERDOWN The read could not be confirmed by a quorum";
    public const string LeaderUnreachable = "CLUSTERDOWN The leader could not be reached";
    public const string NoClusterSecret = "CLUSTERDOWN This node has not learned the cluster secret yet (it is catching up)";
    public const string LeasesPending = "TRYAGAIN lock leases are being extended after a leader change, retry";
    public const string OutOfMemory = "OOM command not allowed when used memory > 'maxmemory'.";
    public const string NoScript = "NOSCRIPT No matching script. Please use EVAL.";
    public const string Unblocked = "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";

    private readonly NodeOptions _options = options.Value;
    private readonly ILogger _logger = logger;

    /// <param name="arguments">The whole request, the command name at index 0.</param>
    /// <param name="afterPipelinedWrites">
    /// A read that follows writes of the caller's still in flight: on the leader it is queued behind them in the group
    /// commit (<see cref="WriteBatcher.ReadAsync"/>) instead of waiting for a read barrier, so it sees them and no write
    /// the caller sends after it. A plain write or such a read reaches the queue before this method first awaits.
    /// </param>
    /// <param name="run">On a follower: the connection's run of relayed commands this one joins (sent later, together).</param>
    /// <param name="probe">
    /// A tracking client's script: told, when this leader runs it, whether it called a read-only command. A relayed one
    /// is not told.
    /// </param>
    /// <param name="timing">A write run by this leader: told how long its apply took (SLOWLOG).</param>
    public ValueTask<Reply> ExecuteAsync(CommandSpec spec, byte[][] arguments, IExecutionCaller caller, CancellationToken token,
        bool afterPipelinedWrites = false, ForwardRun? run = null, ClientProbe? probe = null, ExecutionTiming? timing = null)
    {
        var args = arguments.AsSpan(1).ToArray();
        if (KeyValueStore.Validate(spec.Id, args) is { } invalid)
            return new(invalid);

        if (!raft.IsStarted)
            return new(Reply.Error(NoLeader));
        if (raft.RemovedMessage is { } removed)
            return new(Reply.Error(removed));

        // The common case without an await of its own: a write, or a read behind pipelined writes, on the leader goes
        // to the group commit, which applies the command timeout itself (no linked token and timer per command). The
        // checks are those of the general path below, in its order.
        if (raft.IsLeader && (spec.IsWrite || afterPipelinedWrites) && !BlockingCommand.IsBlocking(spec.Id)
            && spec.Id != CommandId.Evalsha && !spec.Id.IsLockWrite())
        {
            if (OverMaxMemory() && DeniesOomNow(spec, args) is var denies && denies != false)
            {
                // A function's flags read while an apply holds the state: the general path awaits them (the session runs
                // FCALL alone while memory is over maxmemory, so no later write overtakes it; IsOverMaxMemory).
                if (denies is null)
                    return ExecuteAsync(spec, arguments, args, caller, token, afterPipelinedWrites, run, probe, timing);
                // Under a policy that evicts, the write goes on in its order while the leader evicts (MemoryEvictor).
                if (!evictor.AdmitWhileEvicting())
                    return new(Reply.Error(OutOfMemory));
            }

            return spec.IsWrite
                ? WriteAsync(spec.Id, args, token, caller.UserName, commandTimeout: true, probe, timing)
                : ReadInLogAsync(spec.Id, args, token, caller.UserName, commandTimeout: true, probe, timing);
        }

        // A read on the leader, in the usual case (under the lease, everything committed applied, no script suspended)
        // answered here at once: without the linked token and timer the general path makes per command. A read that has
        // to wait anyway gets the command timeout around its wait (its wait then ends with the leadership, the apply it
        // waits for, or the connection). While a script is suspended, reads wait for it: they take the general path,
        // whose timeout cancels them (a script that runs on must not gather the waits of every read timed out meanwhile).
        if (raft.IsLeader && !spec.IsWrite && !BlockingCommand.IsBlocking(spec.Id) && spec.Id != CommandId.Evalsha
            && !spec.Id.IsLockWrite() && !OverMaxMemory() && raft.HoldsLease() && raft.StateMachine.Suspension is null)
        {
            var read = ReadAsync(spec.Id, args, token, caller.UserName, probe, timing, leaseHeld: true);
            return read.IsCompleted ? read : WithinCommandTimeoutAsync(read);
        }

        return ExecuteAsync(spec, arguments, args, caller, token, afterPipelinedWrites, run, probe, timing);
    }

    // The read goes on with the caller's token after a timeout (a barrier or apply it waits for ends with the leadership
    // or the connection); its answer is then dropped.
    private async ValueTask<Reply> WithinCommandTimeoutAsync(ValueTask<Reply> read)
    {
        try
        {
            return await read.AsTask().WaitAsync(TimeSpan.FromMilliseconds(_options.CommandTimeoutMs)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return Reply.Error(ReadFailed);
        }
    }

    private async ValueTask<Reply> ExecuteAsync(CommandSpec spec, byte[][] arguments, byte[][] args, IExecutionCaller caller, CancellationToken token,
        bool afterPipelinedWrites, ForwardRun? run, ClientProbe? probe, ExecutionTiming? timing)
    {
        if (raft.IsLeader && BlockingCommand.IsBlocking(spec.Id))
            return await BlockAsync(spec, arguments, args, caller, token).ConfigureAwait(false);
        if (raft.IsLeader)
        {
            // EVALSHA of a script the leader does not know never reaches the log (at apply an unknown SHA answers the
            // same, should a SCRIPT FLUSH commit in between).
            if (spec.Id == CommandId.Evalsha && !await HasScriptAsync(args[0], token).ConfigureAwait(false))
                return Reply.Error(NoScript);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(_options.CommandTimeoutMs);
            if (spec.Id.IsLockWrite() && !await leases.WaitExtendedAsync(timeout.Token).ConfigureAwait(false))
                return Reply.Error(LeasesPending);
            // As Redis's processCommand: over maxmemory, any command first waits for eviction (a read too, so the
            // invalidations of the keys evicted reach a tracking client before its reply); a denyoom one is refused
            // while memory stays over.
            if (OverMaxMemory())
            {
                if (!await evictor.MakeRoomAsync(timeout.Token).ConfigureAwait(false) && await DeniesOomAsync(spec, args, token).ConfigureAwait(false))
                    return Reply.Error(OutOfMemory);
            }

            if (spec.IsWrite)
                return await WriteAsync(spec.Id, args, timeout.Token, caller.UserName, probe: probe, timing: timing).ConfigureAwait(false);
            return afterPipelinedWrites
                ? await ReadInLogAsync(spec.Id, args, timeout.Token, caller.UserName, probe: probe, timing: timing).ConfigureAwait(false)
                : await ReadAsync(spec.Id, args, timeout.Token, caller.UserName, probe, timing).ConfigureAwait(false);
        }

        if (caller.IsForwarded)
            return Reply.Error(NoLeader);
        if (spec.Id is CommandId.Publish or CommandId.Spublish)
            return await RelayPublishAsync(arguments, args, sharded: spec.Id == CommandId.Spublish, caller, run, token).ConfigureAwait(false);
        if (run?.TryAdd(arguments) is { } relayed)
            return await relayed.ConfigureAwait(false);
        return await ForwardAsync(arguments, caller, token).ConfigureAwait(false);
    }

    // A method of its own: the lambda's capture of args, in ExecuteAsync, was allocated for every command run there.
    private ValueTask<bool> HasScriptAsync(byte[] sha, CancellationToken token) =>
        raft.StateMachine.ReadAsync(store => store.HasScript(sha), token);

    /// <summary>
    /// Proposes an entry the node built itself from a checked request (CONFIG SET's ConfigSet entry): on the leader it is
    /// written to the log and its apply's reply returned; a follower relays <paramref name="request"/> itself to the
    /// leader, which checks and proposes it in turn.
    /// </summary>
    /// <param name="denyOom">Refused on the leader when memory is over maxmemory (FUNCTION LOAD and RESTORE), as Redis's denyoom commands.</param>
    public async ValueTask<Reply> ProposeAsync(CommandId id, byte[][] entry, byte[][] request, IExecutionCaller caller, CancellationToken token, bool denyOom = false)
    {
        if (!raft.IsStarted)
            return Reply.Error(NoLeader);
        if (raft.RemovedMessage is { } removed)
            return Reply.Error(removed);
        if (raft.IsLeader)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(_options.CommandTimeoutMs);
            if (denyOom && OverMaxMemory() && !await evictor.MakeRoomAsync(timeout.Token).ConfigureAwait(false))
                return Reply.Error(OutOfMemory);
            return await WriteAsync(id, entry, timeout.Token).ConfigureAwait(false);
        }

        if (caller.IsForwarded)
            return Reply.Error(NoLeader);
        return await ForwardAsync(request, caller, token).ConfigureAwait(false);
    }

    /// <summary>
    /// A read of replicated state that is not a keyspace command (SCRIPT EXISTS): on the leader after a read barrier; a
    /// follower relays <paramref name="request"/> to the leader.
    /// </summary>
    public async ValueTask<Reply> ReadStateAsync(Func<KeyValueStore, Reply> read, byte[][] request, IExecutionCaller caller, CancellationToken token)
    {
        if (!raft.IsStarted)
            return Reply.Error(NoLeader);
        if (raft.RemovedMessage is { } removed)
            return Reply.Error(removed);
        if (raft.IsLeader)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(_options.CommandTimeoutMs);
            if (!await BarrierAsync(timeout.Token).ConfigureAwait(false))
                return Reply.Error(ReadFailed);
            return await ReadWhenIdleAsync(read, timeout.Token).ConfigureAwait(false);
        }

        if (caller.IsForwarded)
            return Reply.Error(NoLeader);
        return await ForwardAsync(request, caller, token).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="run"/> when this node leads; a follower relays <paramref name="request"/> to the leader
    /// (never retried) and waits up to <paramref name="limit"/> for its answer, also when the leader changes meanwhile:
    /// a leadership transfer or the removal of the leader changes it on purpose, and its answer is still the outcome.
    /// </summary>
    public async ValueTask<Reply> OnLeaderAsync(Func<CancellationToken, Task<Reply>> run, byte[][] request, IExecutionCaller caller, TimeSpan limit, CancellationToken token)
    {
        if (!raft.IsStarted)
            return Reply.Error(NoLeader);
        if (raft.IsLeader)
            return await run(token).ConfigureAwait(false);
        if (caller.IsForwarded)
            return Reply.Error(NoLeader);
        return await ForwardAsync(request, caller, (connection, timeout) => connection.SendAsync(request, caller.ProtocolVersion, timeout), token, limit).ConfigureAwait(false);
    }

    /// <summary>The limit a relayed command run on the leader (SCRIPT KILL, FUNCTION KILL) waits for its answer.</summary>
    public TimeSpan CommandTimeout => TimeSpan.FromMilliseconds(_options.CommandTimeoutMs);

    /// <summary>Milliseconds since the Unix epoch by the leader's clock: never behind the last applied entry, never backwards.</summary>
    public long Now() => clock.Now();

    /// <param name="userName">The caller's ACL user: a script (EVAL, EVALSHA, FCALL) carries it in its entry, and every
    /// replica checks the script's redis.call commands against it at apply.</param>
    /// <param name="commandTimeout">The group commit times the command out after CommandTimeoutMs (see <see cref="WriteBatcher.WriteAsync"/>).</param>
    /// <param name="probe">A tracking client's script: told at apply whether it called a read-only command.</param>
    private ValueTask<Reply> WriteAsync(CommandId id, byte[][] args, CancellationToken token, string? userName = null, bool commandTimeout = false,
        ClientProbe? probe = null, ExecutionTiming? timing = null)
    {
        if (disk.IsLow)
            return new(Reply.Error(disk.Message));

        // Relative expiry times (EX, PX, EXPIRE, ...) become absolute at the entry's timestamp, as Redis writes its AOF.
        var command = KeyValueStore.ToLogForm(new LogCommand(id, clock.Now(), (ulong)Random.Shared.NextInt64(), args));
        if (userName is not null)
            command = ScriptUserEntry.Wrap(command, userName, ScriptUserEntry.Carries(id) && OutOfMemoryForScripts());

        // Completes after the entry holding the command is committed by a majority and applied here.
        return batcher.WriteAsync(command, token, commandTimeout, probe, timing);
    }

    private async ValueTask<Reply> WriteWithTimeoutAsync(CommandId id, byte[][] args, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(_options.CommandTimeoutMs);
        return await WriteAsync(id, args, timeout.Token).ConfigureAwait(false);
    }

    /// <param name="userName">The caller's ACL user: a script read (EVAL_RO, EVALSHA_RO, FCALL_RO) checks its redis.call commands against it.</param>
    /// <param name="leaseHeld">See <see cref="BarrierAsync"/>.</param>
    private async ValueTask<Reply> ReadAsync(CommandId id, byte[][] args, CancellationToken token, string? userName = null, ClientProbe? probe = null,
        ExecutionTiming? timing = null, bool leaseHeld = false)
    {
        if (!await BarrierAsync(token, leaseHeld).ConfigureAwait(false))
            return Reply.Error(ReadFailed);
        var read = new KeyspaceRead(this, id, args, userName, probe, timing, takeExpired: true);
        var reply = await ReadWhenIdleAsync(read.Run, token).ConfigureAwait(false);

        // Keys the read found expired are deleted before it is answered, as Redis's lazy expiry deletes them.
        if (read.Expired is { } expired && !await expiry.ExpireReadAsync(expired, token).ConfigureAwait(false))
            raft.StateMachine.InvalidateExpiredRead(expired);
        return reply;
    }

    /// <summary>
    /// One client read of the keyspace, in one object: it tells <paramref name="timing"/> how long it ran (SLOWLOG: its
    /// execution, not its wait for the state or a barrier, nor the lazy expiry after it), and <paramref name="probe"/>
    /// what the script it ran (EVAL_RO...) observed. With <paramref name="takeExpired"/> it takes the keys it found
    /// expired (<see cref="Expired"/>: the deletion after it invalidates them for client tracking, once); a read placed in
    /// the group commit leaves them to the applier, which invalidates them. (A closure per wrapper and the read's own were
    /// most of what a GET allocated in the executor.)
    /// </summary>
    private sealed class KeyspaceRead(CommandExecutor executor, CommandId id, byte[][] args, string? userName, ClientProbe? probe, ExecutionTiming? timing,
        bool takeExpired)
    {
        /// <summary>Keys the read found expired, when it takes them.</summary>
        public List<byte[]>? Expired { get; private set; }

        public Reply Run(KeyValueStore store)
        {
            var started = timing is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
            if (probe is not null)
                KeyValueStore.ClearScriptObservations();
            var reply = store.Read(id, args, executor.Now(), userName);
            if (takeExpired)
                Expired = KeyValueStore.TakeExpiredKeysRead();
            if (probe is not null)
                Report(probe);
            timing?.Set(System.Diagnostics.Stopwatch.GetTimestamp() - started);
            return reply;
        }
    }

    // What the script a read ran observed (on this thread): whether it called a read-only command, what ACL refused it,
    // the commands it called.
    private static void Report(ClientProbe probe)
    {
        probe.Report(KeyValueStore.ScriptCalledReadOnThisThread);
        if (KeyValueStore.TakeScriptAclRefusals() is { } refusals)
            probe.ScriptAclRefused(refusals);
        if (KeyValueStore.TakeScriptCalls() is { } calls)
            probe.ScriptCalled(calls);
    }

    /// <summary>
    /// A client's read of the applied state, once no script is suspended (a script is atomic: nobody sees it half done,
    /// see Raft/KvStateMachine.Scripts.cs). A read that waited past its timeout answers an unconfirmed read.
    /// </summary>
    private async ValueTask<Reply> ReadWhenIdleAsync(Func<KeyValueStore, Reply> read, CancellationToken token)
    {
        try
        {
            return await raft.StateMachine.ReadWhenIdleAsync(read, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return Reply.Error(ReadFailed);
        }
    }

    /// <summary>
    /// Waits until the local state reflects every write committed before the call. Under a held leader lease
    /// (<see cref="RaftHost.HoldsLease"/>) no other leader can exist, so waiting for the apply of this leader's commit
    /// index (and of its term's first entry) is enough; otherwise one replication round confirms this node still leads.
    /// </summary>
    /// <param name="leaseHeld">The caller found the lease held just now (the read fast path): not asked again.</param>
    public async ValueTask<bool> BarrierAsync(CancellationToken token, bool leaseHeld = false)
    {
        try
        {
            var lease = leaseHeld || raft.HoldsLease();
            raft.CountRead(lease);
            var cluster = raft.Cluster;
            if (lease)
            {
                await cluster.ApplyReadBarrierAsync(ReadBarrierType.Weak, token).ConfigureAwait(false);
            }
            else
            {
                // A strong barrier forces a round that began after this call and reached a majority: the lease runs from here.
                var round = raft.BeginRound();
                await cluster.ApplyReadBarrierAsync(ReadBarrierType.Strong, token).ConfigureAwait(false);
                raft.ConfirmRound(round);

                // The round ends on the thread that read its last acknowledgement, a socket event thread: the read
                // (KEYS, SMEMBERS...) runs elsewhere (SocketThreads).
                await SocketThreads.Leave();
            }

            // DotNext's weak barrier returns once this term's no-op is committed, not applied: a leader just elected
            // may not have applied yet what the old leader committed and acknowledged (a stale read after a
            // leadership transfer, chaos seed 1501). Wait for the apply of everything committed now.
            if (lease)
            {
                await cluster.AuditTrail.WaitForApplyAsync(cluster.AuditTrail.LastCommittedEntryIndex, token).ConfigureAwait(false);
                // A long wait may outlast the lease: then a round confirms this node still leads.
                if (!raft.HoldsLease())
                    await cluster.ApplyReadBarrierAsync(ReadBarrierType.Strong, token).ConfigureAwait(false);
            }

            return raft.IsLeader;
        }
        catch (Exception e) when (e is QuorumUnreachableException or NotLeaderException or OperationCanceledException or InvalidOperationException)
        {
            return false;
        }
    }
}
