using System.Runtime.CompilerServices;
using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
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
    private List<(LogCommand Command, TaskCompletionSource<Reply> Reply, StrongBox<bool> Applied)> _queue = [];
    private bool _draining;

    public async ValueTask<Reply> WriteAsync(LogCommand command, CancellationToken token)
    {
        var reply = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
        var applied = new StrongBox<bool>();
        bool start;
        lock (_lock)
        {
            _queue.Add((command, reply, applied));
            start = !_draining;
            _draining = true;
        }

        if (start)
            _ = Task.Run(DrainAsync, CancellationToken.None);
        try
        {
            return await reply.Task.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!Volatile.Read(ref applied.Value))
        {
            return Reply.Error(CommandExecutor.UnknownOutcome);
        }
        catch (OperationCanceledException)
        {
            // Committed and started: a long script (or a command deferred behind one) is answered when it ends, as in
            // Redis, however long that takes; the timeout bounds only the wait for the commit.
            return await reply.Task.ConfigureAwait(false);
        }
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            List<(LogCommand Command, TaskCompletionSource<Reply> Reply, StrongBox<bool> Applied)> batch;
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

    private async Task ReplicateAsync(List<(LogCommand Command, TaskCompletionSource<Reply> Reply, StrongBox<bool> Applied)> batch)
    {
        using var timeout = new CancellationTokenSource(_options.CommandTimeoutMs);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (batch.Count == 1)
            {
                var pending = new PendingWrite();
                await raft.Cluster.ReplicateAsync(LogEntryCodec.Encode(batch[0].Command), pending, timeout.Token).ConfigureAwait(false);
                metrics.EntryReplicated(1, started);
                Answer(batch[0].Reply, batch[0].Applied, pending.Completion);
                return;
            }

            var entries = new byte[batch.Count][];
            for (var i = 0; i < batch.Count; i++)
                entries[i] = LogEntryCodec.Encode(batch[i].Command);
            var last = batch[^1].Command;
            var envelope = new LogCommand(CommandId.Batch, last.TimestampMs, 0, entries);
            var context = new BatchedWrite(batch.Count);
            await raft.Cluster.ReplicateAsync(LogEntryCodec.Encode(envelope), context, timeout.Token).ConfigureAwait(false);
            metrics.EntryReplicated(batch.Count, started);
            for (var i = 0; i < batch.Count; i++)
                Answer(batch[i].Reply, batch[i].Applied, context.Completion(i));
        }
        catch (Exception e)
        {
            // NotLeaderException may come after the entry was appended, and a later leader may commit it.
            if (e is not (NotLeaderException or OperationCanceledException))
                LogBatchFailed(batch.Count, e.Message);
            foreach (var item in batch)
                item.Reply.TrySetResult(Reply.Error(CommandExecutor.UnknownOutcome));
        }
    }

    // The entry applied (ReplicateAsync returned): its reply is there, or comes once the script it was deferred behind
    // ends (KvStateMachine.Scripts.cs); the batcher goes on with the next batch meanwhile. No reply by the time no script
    // is suspended: the context was lost (leadership changed), an unknown outcome as before.
    private void Answer(TaskCompletionSource<Reply> client, StrongBox<bool> started, Task<Reply> applied)
    {
        if (applied.IsCompleted)
        {
            client.TrySetResult(applied.Result);
            return;
        }

        Volatile.Write(ref started.Value, true);
        _ = AnswerLaterAsync(client, applied, raft.StateMachine.WhenScriptIdle);
    }

    private static async Task AnswerLaterAsync(TaskCompletionSource<Reply> client, Task<Reply> applied, Task idle)
    {
        await Task.WhenAny(applied, idle).ConfigureAwait(false);
        client.TrySetResult(applied.IsCompleted ? applied.Result : Reply.Error(CommandExecutor.UnknownOutcome));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} writes failed with an unknown outcome: {Reason}")]
    private partial void LogBatchFailed(int count, string reason);
}
