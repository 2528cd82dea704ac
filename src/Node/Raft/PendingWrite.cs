using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Raft;

/// <summary>
/// Travels as the log entry's context from <c>ReplicateAsync</c> on the leader to <see cref="KvStateMachine"/>,
/// which stores the reply the state machine produced when it applied the entry. DotNext keeps the context on
/// the leader only; followers apply the same entry without one. The reply is usually there when ReplicateAsync returns;
/// an entry deferred behind a suspended script (KvStateMachine.Scripts.cs) is answered later: await <see cref="Completion"/>.
/// </summary>
internal sealed class PendingWrite
{
    private readonly TaskCompletionSource<Reply> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The reply once the entry applied, else null.</summary>
    public Reply? Reply => _reply.Task.IsCompletedSuccessfully ? _reply.Task.Result : null;

    /// <summary>Completes with the reply when the entry applies (for a deferred entry, after the script before it ends).</summary>
    public Task<Reply> Completion => _reply.Task;

    public void Complete(Reply reply) => _reply.TrySetResult(reply);

    /// <summary>Told how long the entry's apply took (SLOWLOG), before <see cref="Complete"/>; null when nobody asks.</summary>
    public Execution.ExecutionTiming? Timing { get; init; }

    public void Executed(long ticks) => Timing?.Set(ticks);

    /// <summary>A tracking client's script or EXEC: told at apply what its reads did (<see cref="Execution.ClientProbe"/>).</summary>
    public Execution.ClientProbe? Probe { get; init; }

    private Task? _hold;

    /// <summary>Set at apply when the entry woke blocked clients: its replies go out once they have tried again (<see cref="WakeHold"/>).</summary>
    public Task? Hold
    {
        get => Volatile.Read(ref _hold);
        set => Volatile.Write(ref _hold, value);
    }
}
