using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Raft;

/// <summary>
/// Where the apply of one command puts its reply: the leader's <see cref="PendingWrite"/>, a position in its
/// <see cref="BatchedWrite"/>, a deferred command's callback, or nowhere (followers, replay). A struct, so that applying a batch allocates no callback
/// per command; a callback is made only for a command deferred behind a suspended script (<see cref="ToAction"/>).
/// </summary>
internal readonly struct ReplyTarget
{
    private readonly PendingWrite? _pending;
    private readonly BatchedWrite? _batch;
    private readonly int _position;
    private readonly Action<Reply>? _action;
    private readonly Execution.ClientProbe? _probe;

    public ReplyTarget(PendingWrite? pending) => _pending = pending;

    /// <summary>A callback made before (<see cref="ToAction"/> of a deferred command), with the command's <see cref="Probe"/>.</summary>
    public ReplyTarget(Action<Reply>? action, Execution.ClientProbe? probe = null)
    {
        _action = action;
        _probe = probe;
    }

    public ReplyTarget(BatchedWrite? batch, int position)
    {
        _batch = batch;
        _position = position;
    }

    /// <summary>Whether <see cref="Executed"/> is wanted (SLOWLOG times the command): else the apply need not read the clock.</summary>
    public bool WantsTiming => _batch is not null ? _batch.WantsTiming(_position) : _pending?.Timing is not null;

    /// <summary>The command's apply took <paramref name="ticks"/> (Stopwatch): for SLOWLOG, told before <see cref="Invoke"/>.</summary>
    public void Executed(long ticks)
    {
        if (_batch is not null)
            _batch.Executed(_position, ticks);
        else
            _pending?.Executed(ticks);
    }

    public void Invoke(Reply reply)
    {
        if (_batch is not null)
            _batch.Complete(_position, reply);
        else if (_pending is not null)
            _pending.Complete(reply);
        else
            _action?.Invoke(reply);
    }

    /// <summary>
    /// Tells the command's client, when it is a tracking client's script sent to this leader, whether the script called a
    /// read-only command (<see cref="PubSub.ScriptReadProbe"/>); before <see cref="Invoke"/>. A suspended script's
    /// callback (<see cref="ToAction"/>) carries no probe: its keys stay remembered.
    /// </summary>
    public void ReportScriptRead(bool calledRead) => Probe?.Report(calledRead);

    /// <summary>The probe of a tracking client's script or EXEC sent to this leader (a deferred command keeps its own); else null.</summary>
    public Execution.ClientProbe? Probe => _batch is not null ? _batch.Probe(_position) : _pending?.Probe ?? _probe;

    /// <summary>The target as a callback, for a command whose reply comes later; null for nowhere.</summary>
    public Action<Reply>? ToAction()
    {
        if (_batch is { } batch)
        {
            var position = _position;
            return reply => batch.Complete(position, reply);
        }

        return _pending is { } pending ? pending.Complete : _action;
    }
}
