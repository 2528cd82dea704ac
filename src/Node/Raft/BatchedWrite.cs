using RaftKV.Protocol.Replies;
using RaftKV.StateMachine;

namespace RaftKV.Node.Raft;

/// <summary>
/// The context of a group-commit entry (<see cref="RaftKV.Protocol.Commands.CommandId.Batch"/>): the apply completes
/// each command's reply at its position. Present on the leader only, like <see cref="PendingWrite"/>; as there, a
/// command deferred behind a suspended script is answered later (<see cref="Completion"/>).
/// It may also carry reads that a pipelining connection sent after its writes (<see cref="PlacedRead"/>): the leader
/// runs each at its place among the entry's commands (deferred with them behind a suspended script), so it sees exactly
/// the writes queued before it. They are not in the entry's payload; followers apply the entry without them.
/// </summary>
internal sealed class BatchedWrite
{
    private readonly TaskCompletionSource<Reply>[] _replies;
    private readonly PlacedRead[] _reads;
    private readonly TaskCompletionSource<Reply>[] _readReplies;
    private int _nextRead;

    public BatchedWrite(int count, PlacedRead[]? reads = null)
    {
        _replies = NewReplies(count);
        _reads = reads ?? [];
        _readReplies = NewReplies(_reads.Length);
    }

    public Reply? this[int index] => _replies[index].Task.IsCompletedSuccessfully ? _replies[index].Task.Result : null;

    /// <summary>Completes with the reply of the command at <paramref name="index"/> when it applies.</summary>
    public Task<Reply> Completion(int index) => _replies[index].Task;

    /// <summary>Completes with the reply of the read at <paramref name="index"/> (in the order given) when it runs.</summary>
    public Task<Reply> ReadCompletion(int index) => _readReplies[index].Task;

    public void Complete(int index, Reply reply) => _replies[index].TrySetResult(reply);

    /// <summary>
    /// Hands over, in order, the reads placed before the command at <paramref name="position"/> (the entry's command
    /// count for those after its last) with the completion of each. The applier calls it in position order.
    /// </summary>
    public void TakeReads(int position, Action<Func<KeyValueStore, Reply>, Action<Reply>> process)
    {
        while (_nextRead < _reads.Length && _reads[_nextRead].Before <= position)
        {
            var reply = _readReplies[_nextRead];
            process(_reads[_nextRead].Read, r => reply.TrySetResult(r));
            _nextRead++;
        }
    }

    private static TaskCompletionSource<Reply>[] NewReplies(int count)
    {
        var replies = new TaskCompletionSource<Reply>[count];
        for (var i = 0; i < count; i++)
            replies[i] = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
        return replies;
    }
}
