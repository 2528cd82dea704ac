using RaftKV.Protocol.Replies;
using RaftKV.StateMachine;

namespace RaftKV.Node.Raft;

/// <summary>
/// The context of a group-commit entry (<see cref="RaftKV.Protocol.Commands.CommandId.Batch"/>): the apply stores
/// each command's reply at its position. Present on the leader only, like <see cref="PendingWrite"/>.
/// It may also carry reads that a pipelining connection sent after its writes (<see cref="PlacedRead"/>): the leader
/// runs each at its place among the entry's commands, so it sees exactly the writes queued before it. They are not in
/// the entry's payload; followers apply the entry without them.
/// </summary>
internal sealed class BatchedWrite
{
    private readonly Reply?[] _replies;
    private readonly PlacedRead[] _reads;
    private readonly Reply?[] _readReplies;
    private int _nextRead;

    public BatchedWrite(int count, PlacedRead[]? reads = null)
    {
        _replies = new Reply?[count];
        _reads = reads ?? [];
        _readReplies = new Reply?[_reads.Length];
    }

    public Reply? this[int index] => Volatile.Read(ref _replies[index]);

    public void Complete(int index, Reply reply) => Volatile.Write(ref _replies[index], reply);

    /// <summary>The reply of the read at <paramref name="index"/> in the order given, null when it never ran.</summary>
    public Reply? ReadReply(int index) => Volatile.Read(ref _readReplies[index]);

    /// <summary>
    /// Runs the reads placed before the command at <paramref name="position"/> (the entry's command count for those
    /// after its last). The applier calls it in position order, holding the write lock, with the state as applied so far.
    /// </summary>
    public void RunReads(int position, KeyValueStore store)
    {
        while (_nextRead < _reads.Length && _reads[_nextRead].Before <= position)
        {
            Reply reply;
            try
            {
                reply = _reads[_nextRead].Read(store);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                reply = Reply.Error("ERR internal error: " + e.GetType().Name);
            }

            Volatile.Write(ref _readReplies[_nextRead], reply);
            _nextRead++;
        }
    }
}
