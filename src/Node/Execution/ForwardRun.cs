using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Execution;

/// <summary>
/// Consecutive plain commands of one follower connection that are relayed to the leader together: written to the
/// forwarding connection in one go, their replies read back in order (issue 17: each relayed command no longer waits
/// for the previous one's reply). The leader pipelines them as it pipelines any client's commands. Filled by the
/// session's read loop, in request order, then sent by <see cref="CommandExecutor.SendRunAsync"/>; never re-sent.
/// </summary>
internal sealed class ForwardRun
{
    private readonly List<byte[][]> _requests = [];
    private readonly List<TaskCompletionSource<Reply>> _replies = [];

    public int Count => _requests.Count;

    public IReadOnlyList<byte[][]> Requests => _requests;

    /// <summary>Adds a request (name first); the task completes with the leader's reply, or with the run's error.</summary>
    public Task<Reply> Add(byte[][] request)
    {
        var reply = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add(request);
        _replies.Add(reply);
        return reply.Task;
    }

    /// <summary>Answers each request with the reply read for it, or with <paramref name="error"/> when none was read.</summary>
    public void Complete(IReadOnlyList<Reply?> replies, Reply error)
    {
        for (var i = 0; i < _replies.Count; i++)
            _replies[i].TrySetResult(replies[i] ?? error);
    }
}
