using System.Threading.Channels;
using RaftKV.Node.Execution;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Resp;

/// <summary>
/// Pipelining on one connection (issue 12, bug 3). Plain reads and writes on the leader start as soon as they are
/// parsed; their replies are handed to the output by <see cref="ReplyLoopAsync"/> in request order. The rules that
/// keep Redis's per-connection order:
/// - writes reach the group commit in request order, without waiting for each other's commit (<see cref="WriteBatcher"/>
///   enqueues before its first await);
/// - a read sent while the connection has commands in the group commit is queued behind them there and runs at its
///   place in the log on the leader, so it sees exactly the writes sent before it; otherwise it runs on a read barrier,
///   concurrently with the reads next to it, and a later write waits for it (it must not see that write);
/// - on a follower, plain reads and writes are relayed to the leader in runs (<see cref="ForwardRun"/>): each run in
///   one exchange, runs one after another, so the leader receives them in request order and pipelines them itself;
/// - every other command (connection, transaction, admin, blocking, pub/sub, scripts' reads on the leader) waits until
///   every earlier reply has been handed to the output, and then runs alone;
/// - after a write whose outcome is unknown, nothing but another write runs until the group commit has settled it, so
///   no later command of the connection runs before it is applied or dropped.
/// </summary>
internal sealed partial class ClientSession
{
    /// <summary>Most commands of one connection in flight; reading pauses at this bound, never because replies are unread.</summary>
    private const int MaxInflight = 2048;

    // Synchronous continuations: a write queued by the read loop resumes the reply loop on the read loop's thread (it only
    // moves on to await the write) instead of waking a pool thread for it per write. Nothing the reply loop completes
    // resumes the read loop inline (the slots' and markers' waits resume asynchronously).
    private readonly Channel<Queued> _queued = Channel.CreateUnbounded<Queued>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });
    private readonly SemaphoreSlim _slots = new(MaxInflight, MaxInflight);
    private readonly List<Task<Reply?>> _barrierReads = [];
    private int _unanswered;

    // The commands in the group commit (writes, and reads placed behind them) since the last settle, in request order;
    // answered ones leave from the front (PruneInLog), noting in _inLogUnknown whether one was an unknown outcome. A list
    // instead of one task chained per command (an async method per write, and two more per reply at -P 16).
    private readonly List<Task<Reply?>> _inLog = [];
    private bool _inLogUnknown;

    /// <summary>A pipelined command's reply to come, or a marker completed once every reply queued before it is handed over.</summary>
    private readonly record struct Queued(Task<Reply?>? Reply, TaskCompletionSource? Marker);

    /// <summary>What may run pipelined; <see cref="InflightKind.None"/> runs alone.</summary>
    private enum InflightKind
    {
        None,
        Write,
        Read,

        /// <summary>A plain read or write on a follower: relayed to the leader in a <see cref="ForwardRun"/>.</summary>
        Forward,
    }

    /// <summary>Most commands relayed in one exchange with the leader.</summary>
    private const int MaxForwardRun = 512;

    private ForwardRun _forwardRun = new();
    private Task _forwardChain = Task.CompletedTask;

    private InflightKind Classify(RespRequest request, out CommandSpec? spec)
    {
        spec = null;
        // While CLIENT PAUSE holds commands, concurrent ones would resume in any order: run them one at a time.
        // Inside MULTI every command is queued in order; EXEC must see everything before it.
        if (Subscriptions.Count > 0 || _services.Clients.Pause.IsActive || _transaction.IsActive
            || !CommandTable.TryGet(request[0], out spec)
            || (spec.Flags & (CommandFlags.Connection | CommandFlags.Admin | CommandFlags.PubSub)) != 0
            || !spec.AcceptsArgumentCount(request.Count) || BlockingCommand.IsBlocking(spec.Id))
            return InflightKind.None;
        var leader = _services.Raft.IsLeader;

        // Lock writes wait for lease extension before they reach the log, so a later write could overtake them; so could
        // FCALL while memory is over maxmemory, when its function's flags may have to wait for an apply.
        if (spec.IsWrite)
            return spec.Id.IsLockWrite() || (leader && spec.Id == CommandId.Fcall && _services.Executor.IsOverMaxMemory) ? InflightKind.None
                : leader ? InflightKind.Write : InflightKind.Forward;

        // A script's read may run long: never inside the apply of a group-commit entry.
        if (!spec.IsRead || (leader && spec.Id is CommandId.EvalRo or CommandId.EvalshaRo or CommandId.FcallRo))
            return InflightKind.None;
        return leader ? InflightKind.Read : InflightKind.Forward;
    }

    /// <summary>Starts a pipelined command (see the rules above) and queues its reply after the earlier ones.</summary>
    /// <param name="spec">The command, as <see cref="Classify"/> found it.</param>
    private async Task QueueAsync(RespRequest request, InflightKind kind, CommandSpec spec)
    {
        await WriteAloneRepliesAsync(_batch).ConfigureAwait(false);

        // A full pipeline waits for replies to come: those of gathered relayed commands come only once they are sent.
        if (_slots.CurrentCount == 0)
        {
            SendForwardRun();
            if (kind == InflightKind.Forward)
                await WaitForFreeSlotsAsync(MaxForwardRun).ConfigureAwait(false);
        }

        await _slots.WaitAsync(_closed.Token).ConfigureAwait(false);
        Task<Reply?> reply;
        if (kind == InflightKind.Forward)
        {
            // After a leader change: what this node ran as leader is finished before anything is relayed.
            if (InLogUnsettled() || _barrierReads.Count > 0)
            {
                foreach (var command in _inLog)
                    await FinishedAsync(command).ConfigureAwait(false);
                foreach (var read in _barrierReads)
                    await FinishedAsync(read).ConfigureAwait(false);
                _barrierReads.Clear();
                await SettleAsync().ConfigureAwait(false);
            }

            // A CLIENT PAUSE begun since the command was read (Classify runs paused ones alone): it waits for the pause
            // here, with the run gathered so far sent, and then joins the next run. (One that waited inside ExecuteAsync
            // would find its run sealed and be relayed alone.)
            while (_services.Clients.Pause.IsActive)
            {
                var wait = PausedAsync(spec, request.Arguments);
                if (wait.IsCompletedSuccessfully)
                    break;
                SendForwardRun();
                await wait.ConfigureAwait(false);
            }

            reply = ExecuteAsync(request, run: _forwardRun).AsTask();
            if (_forwardRun.Count >= MaxForwardRun)
                SendForwardRun();
        }
        else if (kind == InflightKind.Write)
        {
            // A write must not be applied before a read sent ahead of it has read.
            foreach (var read in _barrierReads)
                await FinishedAsync(read).ConfigureAwait(false);
            _barrierReads.Clear();
            // Far over maxmemory, eviction first: this loop waits, so the connection's commands keep their order.
            await _services.Executor.WaitForEvictionAsync(_closed.Token).ConfigureAwait(false);
            reply = ExecuteAsync(request).AsTask();
            AddInLog(reply);
        }
        else if (InLogPending())
        {
            reply = ExecuteAsync(request, afterPipelinedWrites: true).AsTask();
            AddInLog(reply);
        }
        else
        {
            await SettleAsync().ConfigureAwait(false);
            if (_barrierReads.Count >= 64)
                _barrierReads.RemoveAll(static read => read.IsCompleted);
            reply = ExecuteAsync(request).AsTask();
            _barrierReads.Add(reply);
        }

        Interlocked.Increment(ref _unanswered);
        _queued.Writer.TryWrite(new Queued(reply, null));
    }

    /// <summary>
    /// Waits until <paramref name="count"/> slots are free, taking none. A follower relays one run at a time: with the
    /// window full, the few slots a reply freed let as many commands in, which found the window full again and went as a
    /// run of their own, so past the first 2,048 commands a long pipeline went to the leader a command or a few per
    /// exchange (10,000 SETs took 0.6-2 s through a follower, 0.04 s on the leader). Every command holding a slot is on
    /// its way then (the run was just sent), so the slots come free.
    /// </summary>
    private async Task WaitForFreeSlotsAsync(int count)
    {
        var taken = 0;
        try
        {
            for (; taken < count; taken++)
                await _slots.WaitAsync(_closed.Token).ConfigureAwait(false);
        }
        finally
        {
            if (taken > 0)
                _slots.Release(taken);
        }
    }

    /// <summary>
    /// A read on the leader with nothing of the connection in flight: run at once and, when it answers without waiting
    /// (a read under the lease, the usual case), its reply joins <paramref name="replies"/> like a command run alone,
    /// without the reply loop (a task, a queue item and a thread-pool hop per read). One that waits is queued as
    /// <see cref="QueueAsync"/> does. False when something is in flight: the caller queues the read.
    /// </summary>
    private async ValueTask<bool> TryReadAloneAsync(RespRequest request, List<Reply> replies)
    {
        if (Volatile.Read(ref _unanswered) > 0 || InLogUnsettled() || _forwardRun.Count > 0)
            return false;
        _barrierReads.Clear();
        var pending = ExecuteAsync(request);
        if (pending.IsCompletedSuccessfully)
        {
            if (pending.Result is { } reply)
                replies.Add(reply);
            _aloneUnanswered++;
            return true;
        }

        await WriteAloneRepliesAsync(replies).ConfigureAwait(false);
        await _slots.WaitAsync(_closed.Token).ConfigureAwait(false);
        var task = pending.AsTask();
        _barrierReads.Add(task);
        Interlocked.Increment(ref _unanswered);
        _queued.Writer.TryWrite(new Queued(task, null));
        return true;
    }

    /// <summary>Runs of relayed commands this connection sent to the leader (a test's measure of their size).</summary>
    internal long ForwardRunsSent => Volatile.Read(ref _forwardRunsSent);

    private long _forwardRunsSent; // written by the read loop only

    /// <summary>
    /// Relays the commands gathered in <see cref="_forwardRun"/>, after the runs sent before it (one exchange with the
    /// leader at a time, so they reach it in request order); the read loop goes on meanwhile.
    /// </summary>
    private void SendForwardRun()
    {
        if (_forwardRun.Count == 0)
            return;
        var run = _forwardRun;
        _forwardRun = new ForwardRun();
        run.Seal();
        _forwardRunsSent++;
        _forwardChain = SendAfterAsync(_forwardChain, run);
    }

    private async Task SendAfterAsync(Task previous, ForwardRun run)
    {
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            await _services.Executor.SendRunAsync(run, this, _closed.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // The connection is closing; SendRunAsync has answered the run's commands.
        }
    }

    /// <summary>Waits until every reply queued so far is handed to the output and every earlier write is settled.</summary>
    private async Task UntilAnsweredAsync()
    {
        SendForwardRun();
        if (Volatile.Read(ref _unanswered) > 0)
        {
            var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _queued.Writer.TryWrite(new Queued(null, marker));
            await marker.Task.ConfigureAwait(false);
        }

        _barrierReads.Clear();
        await SettleAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// After a write answered with an unknown outcome (its wait timed out while it was still queued or replicating),
    /// waits until the group commit has resolved it, so a later read or command never runs before it is applied.
    /// </summary>
    private async Task SettleAsync()
    {
        PruneInLog();
        if (_inLogUnknown)
            await _services.Executor.WhenWritesSettledAsync().ConfigureAwait(false);
        _inLog.Clear();
        _inLogUnknown = false;
    }

    private void AddInLog(Task<Reply?> command)
    {
        PruneInLog();
        _inLog.Add(command);
    }

    /// <summary>Whether a command in the group commit is still unanswered (a read then goes there too, behind it).</summary>
    private bool InLogPending()
    {
        PruneInLog();
        return _inLog.Count > 0;
    }

    /// <summary>Whether a command in the group commit is unanswered, or one answered with an unknown outcome is not yet settled.</summary>
    private bool InLogUnsettled() => InLogPending() || _inLogUnknown;

    // Drops the answered commands at the front; a command answered ahead of earlier ones (refused before the log, a syntax
    // error) waits its turn, so it never stands for the writes before it.
    private void PruneInLog()
    {
        var answered = 0;
        while (answered < _inLog.Count && _inLog[answered].IsCompleted)
        {
            if (_inLog[answered] is { IsCompletedSuccessfully: true, Result: ErrorReply { Message: CommandExecutor.UnknownOutcome } })
                _inLogUnknown = true;
            answered++;
        }

        if (answered > 0)
            _inLog.RemoveRange(0, answered);
    }

    private static async Task<Reply?> FinishedAsync(Task<Reply?> command)
    {
        try
        {
            return await command.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection is closing: the command's reply goes nowhere.
            return null;
        }
    }

    /// <summary>
    /// Hands pipelined replies to the output in request order, as many at a time as are ready, and frees their slots.
    /// Ends when the read loop completes <see cref="_queued"/> and every reply queued before is handed over.
    /// </summary>
    private async Task ReplyLoopAsync()
    {
        var replies = new List<Reply>();
        var handed = 0;
        var reader = _queued.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                if (item.Reply is not { } command)
                {
                    handed = await HandOverAsync(replies, handed).ConfigureAwait(false);
                    item.Marker!.TrySetResult();
                    continue;
                }

                // What is ready goes out before waiting for a command still running.
                if (!command.IsCompleted || replies.Count >= MaxBatchedReplies)
                    handed = await HandOverAsync(replies, handed).ConfigureAwait(false);
                // Awaited here rather than through FinishedAsync: its state machine was allocated for every reply
                // not ready yet, as many as the commands at -P 16.
                Reply? reply;
                try
                {
                    reply = await command.ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
                {
                    // The connection is closing: the command's reply goes nowhere.
                    reply = null;
                }

                if (reply is not null)
                    replies.Add(reply);
                handed++;
            }

            handed = await HandOverAsync(replies, handed).ConfigureAwait(false);
        }
    }

    /// <summary>Times the reply loop handed pipelined replies to the output (a test's measure of how they are gathered).</summary>
    internal long ReplyHandOvers => Volatile.Read(ref _replyHandOvers);

    private long _replyHandOvers; // written by the reply loop only

    private async Task<int> HandOverAsync(List<Reply> replies, int handed)
    {
        if (replies.Count > 0 && Volatile.Read(ref _overLimit) == 0)
        {
            _replyHandOvers++;
            await WriteAsync(replies).ConfigureAwait(false);
        }
        replies.Clear();
        if (handed > 0)
        {
            CommandsAnswered(handed);
            Interlocked.Add(ref _unanswered, -handed);
            _slots.Release(handed);
        }

        return 0;
    }
}
