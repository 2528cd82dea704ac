using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Raft;

/// <summary>
/// Travels as the log entry's context from <c>ReplicateAsync</c> on the leader to <see cref="KvStateMachine"/>,
/// which stores the reply the state machine produced when it applied the entry. DotNext keeps the context on
/// the leader only; followers apply the same entry without one.
/// </summary>
internal sealed class PendingWrite
{
    private Reply? _reply;

    public Reply? Reply => Volatile.Read(ref _reply);

    public void Complete(Reply reply) => Volatile.Write(ref _reply, reply);
}
