using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Raft;

/// <summary>
/// The context of a group-commit entry (<see cref="RaftKV.Protocol.Commands.CommandId.Batch"/>): the apply stores
/// each command's reply at its position. Present on the leader only, like <see cref="PendingWrite"/>; as there, a
/// command deferred behind a suspended script is answered later (<see cref="Completion"/>).
/// </summary>
internal sealed class BatchedWrite
{
    private readonly TaskCompletionSource<Reply>[] _replies;

    public BatchedWrite(int count)
    {
        _replies = new TaskCompletionSource<Reply>[count];
        for (var i = 0; i < count; i++)
            _replies[i] = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public Reply? this[int index] => _replies[index].Task.IsCompletedSuccessfully ? _replies[index].Task.Result : null;

    /// <summary>Completes with the reply of the command at <paramref name="index"/> when it applies.</summary>
    public Task<Reply> Completion(int index) => _replies[index].Task;

    public void Complete(int index, Reply reply) => _replies[index].TrySetResult(reply);
}
