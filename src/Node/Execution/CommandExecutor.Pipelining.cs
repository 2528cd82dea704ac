using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Execution;

/// <summary>What a pipelining connection needs of the executor: reads placed in the group commit, relayed runs.</summary>
internal sealed partial class CommandExecutor
{
    /// <summary>
    /// Relays a follower connection's <see cref="ForwardRun"/> to the leader in one exchange and answers each of its
    /// commands; those without a reply (nothing sent, or the connection lost midway) get the relay's error, an unknown
    /// outcome when they were sent. Never re-sent.
    /// </summary>
    public async Task SendRunAsync(ForwardRun run, IExecutionCaller caller, CancellationToken token)
    {
        var replies = new Reply?[run.Count];
        var outcome = Reply.Error(UnknownOutcome);
        try
        {
            outcome = await ForwardAsync(run.Requests[0], caller, async (connection, timeout) =>
            {
                await connection.SendEachAsync(run.Requests, caller.ProtocolVersion, replies, timeout).ConfigureAwait(false);
                return Reply.Ok;
            }, token).ConfigureAwait(false);
        }
        finally
        {
            run.Complete(replies, outcome);
        }
    }

    /// <summary>Completes when every write queued for the group commit so far has been committed or given up.</summary>
    public Task WhenWritesSettledAsync() => batcher.WhenSettledAsync();

    /// <summary>A read placed in the group commit behind the writes queued before it; "now" is the leader's clock when it runs.</summary>
    private ValueTask<Reply> ReadInLogAsync(CommandId id, byte[][] args, CancellationToken token, string? userName, bool commandTimeout = false) =>
        batcher.ReadAsync(store => store.Read(id, args, clock.Now(), userName), token, commandTimeout);
}
