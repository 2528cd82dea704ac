using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Execution;

/// <summary>What a pipelining connection needs of the executor: reads placed in the group commit, relayed runs.</summary>
internal sealed partial class CommandExecutor
{
    /// <summary>
    /// Relays a follower connection's <see cref="ForwardRun"/> to the leader in one exchange and answers each of its
    /// commands; those without a reply (nothing sent, or the connection lost midway) get the relay's error, an unknown
    /// outcome when they were sent. A write is never re-sent. When every command from the first unanswered one on is a
    /// read (or the leader answered it that it has no leader or could not confirm the read), that rest of the run is
    /// relayed again, to the new leader, until it is answered or the command timeout passes: a read has no outcome to
    /// lose, and the run's later commands wait for this one, so the connection's order holds.
    /// </summary>
    public async Task SendRunAsync(ForwardRun run, IExecutionCaller caller, CancellationToken token)
    {
        var replies = new Reply?[run.Count];
        var outcome = Reply.Error(UnknownOutcome);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var from = 0;
            while (true)
            {
                var part = from == 0 ? run.Requests : run.Requests.Skip(from).ToList();
                var answers = new Reply?[part.Count];
                try
                {
                    outcome = await ForwardAsync(part[0], caller, async (connection, timeout) =>
                    {
                        await connection.SendEachAsync(part, caller.ProtocolVersion, answers, timeout).ConfigureAwait(false);
                        return Reply.Ok;
                    }, token).ConfigureAwait(false);
                }
                finally
                {
                    Array.Copy(answers, 0, replies, from, answers.Length);
                }

                var retry = FirstRetriableRead(run.Requests, replies, from);
                if (retry < 0 || token.IsCancellationRequested
                    || System.Diagnostics.Stopwatch.GetElapsedTime(started) > TimeSpan.FromMilliseconds(_options.CommandTimeoutMs))
                    break;
                Array.Clear(replies, retry, replies.Length - retry);
                from = retry;
                await Task.Delay(ReadRelayRetryDelay, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The client is gone: what is unanswered gets the relay's error, which nobody reads.
        }
        finally
        {
            // A read that got no answer was not a write "sent with an unknown outcome".
            for (var i = 0; i < replies.Length; i++)
            {
                if (replies[i] is null && outcome is ErrorReply { Message: UnknownOutcome } && IsRelayedRead(run.Requests[i]))
                    replies[i] = Reply.Error(ReadFailed);
            }

            run.Complete(replies, outcome);
        }
    }

    /// <summary>Between relays of a run's unanswered reads: an election takes several hundred milliseconds.</summary>
    private static readonly TimeSpan ReadRelayRetryDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The first index at or after <paramref name="from"/> with no answer or an answer that says the leader was not
    /// there, when every request from it on is a read; otherwise -1.
    /// </summary>
    private static int FirstRetriableRead(IReadOnlyList<byte[][]> requests, Reply?[] replies, int from)
    {
        var first = -1;
        for (var i = from; i < replies.Length; i++)
        {
            if (replies[i] is null || replies[i] is ErrorReply { Message: NoLeader or LeaderUnreachable or ReadFailed })
            {
                first = i;
                break;
            }
        }

        if (first < 0)
            return -1;
        for (var i = first; i < requests.Count; i++)
        {
            if (!IsRelayedRead(requests[i]))
                return -1;
        }

        return first;
    }

    /// <summary>A keyspace read: no write, no blocking wait (a relayed blocking pop may have taken an element).</summary>
    private static bool IsRelayedRead(byte[][] request) =>
        CommandTable.TryGet(request[0], out var spec) && !spec.IsWrite && !BlockingCommand.IsBlocking(spec.Id);

    /// <summary>Completes when every write queued for the group commit so far has been committed or given up.</summary>
    public Task WhenWritesSettledAsync() => batcher.WhenSettledAsync();

    /// <summary>A read placed in the group commit behind the writes queued before it; "now" is the leader's clock when it runs.</summary>
    private ValueTask<Reply> ReadInLogAsync(CommandId id, byte[][] args, CancellationToken token, string? userName, bool commandTimeout = false,
        ClientProbe? probe = null, ExecutionTiming? timing = null) =>
        batcher.ReadAsync(new KeyspaceRead(this, id, args, userName, probe, timing, takeExpired: false).Run, token, commandTimeout);
}
