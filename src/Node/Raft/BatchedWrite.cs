using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Raft;

/// <summary>
/// The context of a group-commit entry (<see cref="RaftKV.Protocol.Commands.CommandId.Batch"/>): the apply stores
/// each command's reply at its position. Present on the leader only, like <see cref="PendingWrite"/>.
/// </summary>
internal sealed class BatchedWrite(int count)
{
    private readonly Reply?[] _replies = new Reply?[count];

    public Reply? this[int index] => Volatile.Read(ref _replies[index]);

    public void Complete(int index, Reply reply) => Volatile.Write(ref _replies[index], reply);
}
