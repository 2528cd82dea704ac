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
/// Group commit on the leader. One log entry is in flight at a time; writes that arrive meanwhile queue up and
/// become the next entry (a <see cref="CommandId.Batch"/> of whole encoded entries, at most
/// <see cref="MaxCommands"/>), so one replication round and one fsync per node commit many client writes.
/// Enqueueing is synchronous and FIFO, so a connection's pipelined writes keep their order. Every replica applies
/// a batch's commands in order, each with its own timestamp and seed, and each client gets its own command's reply.
/// A batch is committed or not as a whole; when the outcome is unknown (leadership lost, timeout) every command in
/// it is answered as unknown and none is retried.
/// </summary>
internal sealed partial class WriteBatcher : IDisposable
{
    public const int MaxCommands = 1024;

    private readonly NodeOptions _options;
    private readonly ILogger _logger;
    private readonly RaftHost _raft;
    private readonly Diagnostics.NodeMetrics _metrics;
    private readonly long _timeoutTicks;
    private readonly TimeSpan _sweepPeriod;
    private readonly Lock _lock = new();
    private List<QueuedReply> _queue = [];
    private List<QueuedReply>? _spare;
    private List<QueuedReply>? _inflight;
    private bool _draining;
    private Timer? _sweeper;

    // The last command queued: batches are applied and settled in queue order, so when it is settled every earlier one
    // is, or is applied and held for the blocked clients it woke (AfterHoldAsync), which is what the callers need.
    private QueuedReply? _last;

    public WriteBatcher(RaftHost raft, IOptions<NodeOptions> options, ILogger<WriteBatcher> logger, Diagnostics.NodeMetrics metrics)
    {
        _raft = raft;
        _options = options.Value;
        _logger = logger;
        _metrics = metrics;
        _timeoutTicks = (long)(_options.CommandTimeoutMs * (System.Diagnostics.Stopwatch.Frequency / 1000.0));
        // A timed-out command is answered at most this late: a few percent of the timeout, within 5 to 100 ms.
        _sweepPeriod = TimeSpan.FromMilliseconds(Math.Clamp(_options.CommandTimeoutMs / 16, 5, 100));
    }

    /// <summary>Queues <paramref name="command"/> before returning, so callers' writes keep their call order.</summary>
    /// <param name="token">Its cancellation answers the command as an unknown outcome, unless it was committed and started.</param>
    /// <param name="commandTimeout">
    /// Also answer it as an unknown outcome once CommandTimeoutMs has passed since it was queued (unless committed and
    /// started by then), as a CancelAfter on <paramref name="token"/> would, without a timer and a linked token per command.
    /// </param>
    /// <param name="probe">A tracking client's script or EXEC: told at apply what its reads did (<see cref="ClientProbe"/>).</param>
    /// <param name="timing">Told how long the command's apply took, before the reply (SLOWLOG).</param>
    public ValueTask<Reply> WriteAsync(LogCommand command, CancellationToken token, bool commandTimeout = false, ClientProbe? probe = null,
        ExecutionTiming? timing = null) =>
        Enqueue(new QueuedReply(command, null, CommandExecutor.UnknownOutcome) { Probe = probe, Timing = timing }, token, commandTimeout);

    /// <summary>
    /// Queues a read behind every write queued so far (a pipelining connection's writes among them): the leader runs
    /// <paramref name="read"/> when it applies the entry that carries it, at its place among that entry's commands, and
    /// answers once the entry is committed. The entry is appended after the call, so its commit in this leader's term
    /// makes the read linearizable, as a read barrier would. Queued before returning, as writes are.
    /// </summary>
    public ValueTask<Reply> ReadAsync(Func<KeyValueStore, Reply> read, CancellationToken token, bool commandTimeout = false) =>
        Enqueue(new QueuedReply(null, read, CommandExecutor.ReadFailed), token, commandTimeout);

    /// <summary>
    /// Completes when the last command queued before the call has been settled by its entry or given up: every command
    /// queued before it was then applied (its entry is this one or an earlier one, and a batch is answered only once its
    /// entry applied), though the others of its batch may still be being answered (a batch is answered from its last).
    /// </summary>
    public Task WhenSettledAsync()
    {
        lock (_lock)
            return _last?.WhenSettled() ?? Task.CompletedTask;
    }

    // Replies complete with synchronous continuations: answering a batch resumes each waiting command (its reply goes on
    // to the session's reply loop and output) on this thread instead of one thread-pool hop per command, which at -P 1
    // was a third of the leader's work items per SET. Safe because no caller blocks in its continuation (every wait after
    // it is async) and replies are set outside _lock; a continuation that queues another write finds the drain running
    // and adds to the next batch.
    private ValueTask<Reply> Enqueue(QueuedReply item, CancellationToken token, bool commandTimeout)
    {
        bool start;
        lock (_lock)
        {
            if (commandTimeout)
            {
                item.Deadline = System.Diagnostics.Stopwatch.GetTimestamp() + _timeoutTicks;
                _sweeper ??= new Timer(static state => ((WriteBatcher)state!).Sweep(), this, _sweepPeriod, _sweepPeriod);
            }

            _queue.Add(item);
            _last = item;
            start = !_draining;
            _draining = true;
        }

        item.Register(token);
        if (start)
            _ = Task.Run(DrainAsync, CancellationToken.None);
        return item.Reply;
    }

    /// <summary>Answers the commands whose timeout passed, in the batch in flight and in the queue (both in queue order).</summary>
    private void Sweep()
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        List<QueuedReply>? expired = null;
        lock (_lock)
        {
            Expired(_inflight, now, ref expired);
            Expired(_queue, now, ref expired);
        }

        // Outside the lock: answering runs the callers' continuations.
        if (expired is not null)
        {
            foreach (var item in expired)
                item.TimeOut();
        }
    }

    // Deadlines grow along the queue (commands without one are skipped): the scan stops at the first one still ahead.
    private static void Expired(List<QueuedReply>? items, long now, ref List<QueuedReply>? expired)
    {
        if (items is null)
            return;
        foreach (var item in items)
        {
            if (item.Deadline == long.MaxValue || item.IsAnswered)
                continue;
            if (item.Deadline > now)
                return;
            (expired ??= []).Add(item);
        }
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            // Once more behind the work queued meanwhile (mostly requests read from other connections, whose writes then
            // join this batch): fewer, larger rounds when the node is busy; measured +5-9% SET throughput at -P 1 and -P 16.
            await Task.Yield();
            List<QueuedReply> batch;
            lock (_lock)
            {
                if (_queue.Count == 0)
                {
                    _draining = false;
                    return;
                }

                if (_queue.Count <= MaxCommands)
                {
                    batch = _queue;
                    _queue = _spare ?? [];
                    _spare = null;
                }
                else
                {
                    batch = _queue.GetRange(0, MaxCommands);
                    _queue.RemoveRange(0, MaxCommands);
                }

                _inflight = batch;
            }

            await ReplicateAsync(batch).ConfigureAwait(false);
            lock (_lock)
            {
                _inflight = null;
                // The list goes back for the next batch: one list per batch was a tenth of the bytes allocated per SET.
                batch.Clear();
                if (batch.Capacity <= 4 * MaxCommands)
                    _spare = batch;
            }
        }
    }

    private async Task ReplicateAsync(List<QueuedReply> batch)
    {
        using var timeout = new CancellationTokenSource(_options.CommandTimeoutMs);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // A committed write reached a majority in requests sent after it was appended, so after this moment (LeaderLease).
        var round = _raft.BeginRound();
        try
        {
            if (batch is [{ Command: { } single } only])
            {
                var pending = new PendingWrite { Probe = only.Probe, Timing = only.Timing };
                await ReplicateOnApplier(LogEntryCodec.Encode(single), pending, timeout.Token).ConfigureAwait(false);
                _raft.ConfirmRound(round);
                _metrics.EntryReplicated(1, started);
                if (pending.Hold is { IsCompleted: false } held)
                {
                    only.MarkApplied();
                    _ = AfterHoldAsync(held, () => Answer(only, pending.Completion));
                    return;
                }

                // As a batch's answers (AnswerBatch): a client resumed here leaves the applier before it reads on.
                using (Resp.ReplyFlushes.Begin())
                    Answer(only, pending.Completion);
                return;
            }

            // The writes become the entry; each read is placed before the first write queued after it. An entry of
            // reads only is an empty batch: every replica applies it as nothing.
            var commands = new List<LogCommand>(batch.Count);
            List<PlacedRead>? reads = null;
            ClientProbe?[]? probes = null; // by write position, when a tracking client's script or EXEC is among them
            ExecutionTiming?[]? timings = null; // by write position, when SLOWLOG asks
            var timestamp = 0L;
            foreach (var item in batch)
            {
                if (item.Command is { } command)
                {
                    if (item.Probe is { } probe)
                        (probes ??= new ClientProbe?[batch.Count])[commands.Count] = probe;
                    if (item.Timing is { } timing)
                        (timings ??= new ExecutionTiming?[batch.Count])[commands.Count] = timing;
                    commands.Add(command);
                    timestamp = command.TimestampMs;
                }
                else
                {
                    (reads ??= []).Add(new PlacedRead(commands.Count, item.Read!));
                }
            }

            var context = new BatchedWrite(commands.Count, reads?.ToArray(), probes, timings);
            var entry = LogEntryCodec.EncodeNested(CommandId.Batch, timestamp, 0, commands);
            await ReplicateOnApplier(entry, context, timeout.Token).ConfigureAwait(false);
            _raft.ConfirmRound(round);
            _metrics.EntryReplicated(commands.Count, started);
            if (context.Hold is { IsCompleted: false } hold)
            {
                // The batch's list goes back to the batcher once this returns: the answers use a copy.
                var items = batch.ToArray();
                foreach (var item in items)
                    item.MarkApplied();
                _ = AfterHoldAsync(hold, () => AnswerBatch(items, context));
                return;
            }

            AnswerBatch(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batch), context);
        }
        catch (Exception e)
        {
            // NotLeaderException may come after the entry was appended, and a later leader may commit it.
            if (e is not (NotLeaderException or OperationCanceledException))
                LogBatchFailed(batch.Count, e.Message);
            foreach (var item in batch)
                item.Settle(Reply.Error(item.Unknown));
        }
    }

    // DotNext's ReplicateAsync, whose wait for the apply continues on the applier's thread: the batch is answered there
    // as soon as it is applied (AnswerBatch: sends, and the clients' continuations, which never block), one thread-pool
    // hop less per round; the drain's next pass then leaves that thread (Task.Yield) before it appends.
    private ValueTask ReplicateOnApplier(ReadOnlyMemory<byte> entry, object context, CancellationToken token)
    {
        using (Log.RaftLog.ContinueOnApplier())
            return _raft.Cluster.ReplicateAsync(entry, context, token);
    }

    /// <summary>
    /// Answers an applied entry's commands after the blocked clients its writes woke have tried again (Redis serves them
    /// before its next command; BlockingWaiters' remarks), or after a quarter of the command timeout if they have not by
    /// then: a write relayed by a follower waits the command timeout in all, commit included.
    /// </summary>
    private async Task AfterHoldAsync(Task hold, Action answer)
    {
        await hold.WaitAsync(TimeSpan.FromMilliseconds(_options.CommandTimeoutMs / 4.0)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        answer();
    }

    private void AnswerBatch(ReadOnlySpan<QueuedReply> batch, BatchedWrite context)
    {
        using var flushes = Resp.ReplyFlushes.Begin();
        int write = context.Writes, read = context.Reads;
        // From the last to the first: a connection's reply loop, waiting for the first of its pipelined commands in the
        // batch, resumes once all of them are answered and hands their replies over at once, where answering in order
        // resumed it, and handed one reply over, for each. Each connection still gets its replies in request order.
        for (var i = batch.Length - 1; i >= 0; i--)
        {
            var item = batch[i];
            if (item.Command is null)
            {
                read--;
                if (context.TryGetReadReply(read, out var reply))
                    item.Settle(reply);
                else
                    Answer(item, context.ReadCompletion(read));
            }
            else
            {
                write--;
                if (context.TryGetReply(write, out var reply))
                    item.Settle(reply);
                else
                    Answer(item, context.Completion(write));
            }
        }
    }

    // The entry applied (ReplicateAsync returned): its reply is there, or comes once the script it was deferred behind
    // ends (KvStateMachine.Scripts.cs); the batcher goes on with the next batch meanwhile. No reply by the time no script
    // is suspended: the context was lost (leadership changed), an unknown outcome as before.
    private void Answer(QueuedReply item, Task<Reply> applied)
    {
        if (applied.IsCompleted)
        {
            item.Settle(applied.Result);
            return;
        }

        item.MarkApplied();
        _ = AnswerLaterAsync(item, applied, _raft.StateMachine.WhenScriptIdle);
    }

    private static async Task AnswerLaterAsync(QueuedReply item, Task<Reply> applied, Task idle)
    {
        await Task.WhenAny(applied, idle).ConfigureAwait(false);
        item.Settle(applied.IsCompleted ? applied.Result : Reply.Error(item.Unknown));
    }

    public void Dispose() => _sweeper?.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} writes failed with an unknown outcome: {Reason}")]
    private partial void LogBatchFailed(int count, string reason);
}
