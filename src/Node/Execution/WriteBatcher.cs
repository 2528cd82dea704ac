using System.Runtime.CompilerServices;
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
internal sealed partial class WriteBatcher(RaftHost raft, IOptions<NodeOptions> options, ILogger<WriteBatcher> logger, Diagnostics.NodeMetrics metrics)
{
    public const int MaxCommands = 1024;

    private readonly NodeOptions _options = options.Value;
    private readonly ILogger _logger = logger;
    private readonly Lock _lock = new();
    private List<Queued> _queue = [];
    private bool _draining;

    // The last command queued: batches are answered in queue order, so when it is answered every earlier one is.
    private TaskCompletionSource<Reply>? _last;

    /// <summary>A write (<see cref="Command"/>) or a read placed after the writes queued before it (<see cref="Read"/>).</summary>
    private readonly record struct Queued(LogCommand? Command, Func<KeyValueStore, Reply>? Read, TaskCompletionSource<Reply> Reply, StrongBox<bool> Applied);

    /// <summary>Queues <paramref name="command"/> before returning its first await, so callers' writes keep their call order.</summary>
    public ValueTask<Reply> WriteAsync(LogCommand command, CancellationToken token) =>
        EnqueueAsync(new Queued(command, null, NewReply(), new StrongBox<bool>()), CommandExecutor.UnknownOutcome, token);

    /// <summary>
    /// Queues a read behind every write queued so far (a pipelining connection's writes among them): the leader runs
    /// <paramref name="read"/> when it applies the entry that carries it, at its place among that entry's commands, and
    /// answers once the entry is committed. The entry is appended after the call, so its commit in this leader's term
    /// makes the read linearizable, as a read barrier would. Queued before returning its first await, as writes are.
    /// </summary>
    public ValueTask<Reply> ReadAsync(Func<KeyValueStore, Reply> read, CancellationToken token) =>
        EnqueueAsync(new Queued(null, read, NewReply(), new StrongBox<bool>()), CommandExecutor.ReadFailed, token);

    /// <summary>Completes when every command queued before the call has been answered by its entry or given up.</summary>
    public Task WhenSettledAsync()
    {
        lock (_lock)
            return _last?.Task ?? Task.CompletedTask;
    }

    // Continuations run synchronously: answering a batch resumes each waiting command (its reply goes on to the session's
    // reply loop and output) on this thread instead of one thread-pool hop per command, which at -P 1 was a third of the
    // leader's work items per SET. Safe because no caller blocks in its continuation (every wait after it is async) and
    // Answer runs outside _lock; a continuation that queues another write finds the drain running and adds to the next batch.
    private static TaskCompletionSource<Reply> NewReply() => new();

    private async ValueTask<Reply> EnqueueAsync(Queued item, string unknown, CancellationToken token)
    {
        bool start;
        lock (_lock)
        {
            _queue.Add(item);
            _last = item.Reply;
            start = !_draining;
            _draining = true;
        }

        if (start)
            _ = Task.Run(DrainAsync, CancellationToken.None);
        try
        {
            return await item.Reply.Task.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!Volatile.Read(ref item.Applied.Value))
        {
            return Reply.Error(unknown);
        }
        catch (OperationCanceledException)
        {
            // Committed and started: a long script (or a command deferred behind one) is answered when it ends, as in
            // Redis, however long that takes; the timeout bounds only the wait for the commit.
            return await item.Reply.Task.ConfigureAwait(false);
        }
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            List<Queued> batch;
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
                    _queue = [];
                }
                else
                {
                    batch = _queue.GetRange(0, MaxCommands);
                    _queue.RemoveRange(0, MaxCommands);
                }
            }

            await ReplicateAsync(batch).ConfigureAwait(false);
        }
    }

    private async Task ReplicateAsync(List<Queued> batch)
    {
        using var timeout = new CancellationTokenSource(_options.CommandTimeoutMs);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // A committed write reached a majority in requests sent after it was appended, so after this moment (LeaderLease).
        var round = raft.BeginRound();
        try
        {
            if (batch is [{ Command: { } single } only])
            {
                var pending = new PendingWrite();
                await raft.Cluster.ReplicateAsync(LogEntryCodec.Encode(single), pending, timeout.Token).ConfigureAwait(false);
                raft.ConfirmRound(round);
                metrics.EntryReplicated(1, started);
                Answer(only.Reply, only.Applied, pending.Completion, CommandExecutor.UnknownOutcome);
                return;
            }

            // The writes become the entry; each read is placed before the first write queued after it. An entry of
            // reads only is an empty batch: every replica applies it as nothing.
            var entries = new List<byte[]>(batch.Count);
            var reads = new List<PlacedRead>();
            var timestamp = 0L;
            foreach (var item in batch)
            {
                if (item.Command is { } command)
                {
                    entries.Add(LogEntryCodec.Encode(command));
                    timestamp = command.TimestampMs;
                }
                else
                {
                    reads.Add(new PlacedRead(entries.Count, item.Read!));
                }
            }

            var envelope = new LogCommand(CommandId.Batch, timestamp, 0, [.. entries]);
            var context = new BatchedWrite(entries.Count, [.. reads]);
            await raft.Cluster.ReplicateAsync(LogEntryCodec.Encode(envelope), context, timeout.Token).ConfigureAwait(false);
            raft.ConfirmRound(round);
            metrics.EntryReplicated(entries.Count, started);
            int write = 0, read = 0;
            foreach (var item in batch)
            {
                if (item.Command is null)
                    Answer(item.Reply, item.Applied, context.ReadCompletion(read++), CommandExecutor.ReadFailed);
                else
                    Answer(item.Reply, item.Applied, context.Completion(write++), CommandExecutor.UnknownOutcome);
            }
        }
        catch (Exception e)
        {
            // NotLeaderException may come after the entry was appended, and a later leader may commit it.
            if (e is not (NotLeaderException or OperationCanceledException))
                LogBatchFailed(batch.Count, e.Message);
            foreach (var item in batch)
                item.Reply.TrySetResult(Reply.Error(item.Command is null ? CommandExecutor.ReadFailed : CommandExecutor.UnknownOutcome));
        }
    }

    // The entry applied (ReplicateAsync returned): its reply is there, or comes once the script it was deferred behind
    // ends (KvStateMachine.Scripts.cs); the batcher goes on with the next batch meanwhile. No reply by the time no script
    // is suspended: the context was lost (leadership changed), an unknown outcome as before.
    private void Answer(TaskCompletionSource<Reply> client, StrongBox<bool> started, Task<Reply> applied, string unknown)
    {
        if (applied.IsCompleted)
        {
            client.TrySetResult(applied.Result);
            return;
        }

        Volatile.Write(ref started.Value, true);
        _ = AnswerLaterAsync(client, applied, raft.StateMachine.WhenScriptIdle, unknown);
    }

    private static async Task AnswerLaterAsync(TaskCompletionSource<Reply> client, Task<Reply> applied, Task idle, string unknown)
    {
        await Task.WhenAny(applied, idle).ConfigureAwait(false);
        client.TrySetResult(applied.IsCompleted ? applied.Result : Reply.Error(unknown));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} writes failed with an unknown outcome: {Reason}")]
    private partial void LogBatchFailed(int count, string reason);
}
