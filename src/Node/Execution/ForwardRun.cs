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
    private bool _sealed; // under _requests

    public int Count
    {
        get
        {
            lock (_requests)
                return _requests.Count;
        }
    }

    /// <summary>The requests, complete once the run is sealed (<see cref="Seal"/>), before it is sent and answered.</summary>
    public IReadOnlyList<byte[][]> Requests => _requests;

    /// <summary>
    /// Adds a request (name first); the task completes with the leader's reply, or with the run's error. Null once the run
    /// is sealed: a command meant for it that waited meanwhile (a CLIENT PAUSE begun after it was read) is relayed alone.
    /// </summary>
    public Task<Reply>? TryAdd(byte[][] request)
    {
        // Synchronous continuations (see Complete): nothing awaiting a relayed reply blocks (the session's command ends
        // and its reply loop hands replies to the output, asynchronously).
        var reply = new TaskCompletionSource<Reply>();
        lock (_requests)
        {
            if (_sealed)
                return null;
            _requests.Add(request);
            _replies.Add(reply);
        }

        return reply.Task;
    }

    /// <summary>Nothing joins the run from now on: it is about to be sent.</summary>
    public void Seal()
    {
        lock (_requests)
            _sealed = true;
    }

    /// <summary>
    /// Answers each request with the reply read for it, or with <paramref name="error"/> when none was read. From the last
    /// to the first, on this thread: the session's reply loop waits for the first, so it resumes once, with every reply of
    /// the run there to hand to the output together. Answered in order with a thread-pool hop each, the replies of a run
    /// trickled out one send at a time. Call it holding no lock.
    /// </summary>
    public void Complete(IReadOnlyList<Reply?> replies, Reply error)
    {
        for (var i = _replies.Count - 1; i >= 0; i--)
            _replies[i].TrySetResult(replies[i] ?? error);
    }
}
