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
/// Replies are kept in arrays; a task is made only for a reply asked for before it came (<see cref="Completion"/>), so a
/// batch of commands answered at apply allocates nothing per command.
/// </summary>
internal sealed class BatchedWrite
{
    private readonly Lock _lock = new();
    private readonly Reply?[] _replies;
    private readonly PlacedRead[] _reads;
    private readonly Reply?[] _readReplies;

    // By write position, what to tell how long its apply took (SLOWLOG); null when nobody asks.
    private readonly Execution.ExecutionTiming?[]? _timings;

    // By write position, the probe of a tracking client's script or EXEC; null when the batch has none.
    private readonly Execution.ClientProbe?[]? _probes;
    private TaskCompletionSource<Reply>?[]? _late;
    private TaskCompletionSource<Reply>?[]? _lateReads;
    private int _nextRead;

    /// <summary>The batch's writes (the entry's commands) and the reads placed among them.</summary>
    public int Writes => _replies.Length;

    public int Reads => _readReplies.Length;

    public BatchedWrite(int count, PlacedRead[]? reads = null, Execution.ClientProbe?[]? probes = null, Execution.ExecutionTiming?[]? timings = null)
    {
        _replies = new Reply?[count];
        _timings = timings;
        _reads = reads ?? [];
        _readReplies = new Reply?[_reads.Length];
        _probes = probes;
    }

    /// <summary>Tells the probe of the write at <paramref name="index"/>, if any, whether its script called a read-only command.</summary>
    public void ReportScriptRead(int index, bool calledRead) => _probes?[index]?.Report(calledRead);

    /// <summary>The probe of the write at <paramref name="index"/>: a tracking client's script or EXEC; else null.</summary>
    public Execution.ClientProbe? Probe(int index) => _probes?[index];

    public Reply? this[int index]
    {
        get
        {
            lock (_lock)
                return _replies[index];
        }
    }

    /// <summary>The reply of the command at <paramref name="index"/> if it has applied.</summary>
    public bool TryGetReply(int index, out Reply reply) => TryGet(_replies, index, out reply);

    /// <summary>The reply of the read at <paramref name="index"/> (in the order given) if it has run.</summary>
    public bool TryGetReadReply(int index, out Reply reply) => TryGet(_readReplies, index, out reply);

    /// <summary>Completes with the reply of the command at <paramref name="index"/> when it applies.</summary>
    public Task<Reply> Completion(int index) => Later(_replies, ref _late, index);

    /// <summary>Completes with the reply of the read at <paramref name="index"/> (in the order given) when it runs.</summary>
    public Task<Reply> ReadCompletion(int index) => Later(_readReplies, ref _lateReads, index);

    public void Complete(int index, Reply reply) => Set(_replies, index, reply);

    /// <summary>The command at <paramref name="index"/> took <paramref name="ticks"/> (Stopwatch) to apply; before <see cref="Complete"/>.</summary>
    public void Executed(int index, long ticks) => _timings?[index]?.Set(ticks);

    /// <summary>Whether the command at <paramref name="index"/> is timed (<see cref="Executed"/>).</summary>
    public bool WantsTiming(int index) => _timings?[index] is not null;

    private Task? _hold;

    /// <summary>Set at apply when the entry woke blocked clients: its replies go out once they have tried again (<see cref="WakeHold"/>).</summary>
    public Task? Hold
    {
        get => Volatile.Read(ref _hold);
        set => Volatile.Write(ref _hold, value);
    }

    /// <summary>
    /// Hands over, in order, the reads placed before the command at <paramref name="position"/> (the entry's command
    /// count for those after its last) with the completion of each. The applier calls it in position order.
    /// </summary>
    public void TakeReads(int position, Action<Func<KeyValueStore, Reply>, Action<Reply>> process)
    {
        while (_nextRead < _reads.Length && _reads[_nextRead].Before <= position)
        {
            var index = _nextRead;
            process(_reads[index].Read, reply => Set(_readReplies, index, reply));
            _nextRead++;
        }
    }

    private bool TryGet(Reply?[] replies, int index, out Reply reply)
    {
        lock (_lock)
        {
            reply = replies[index]!;
            return reply is not null;
        }
    }

    private Task<Reply> Later(Reply?[] replies, ref TaskCompletionSource<Reply>?[]? late, int index)
    {
        lock (_lock)
        {
            if (replies[index] is { } reply)
                return Task.FromResult(reply);
            late ??= new TaskCompletionSource<Reply>?[replies.Length];
            return (late[index] ??= new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    // The first reply counts, as TrySetResult did.
    private void Set(Reply?[] replies, int index, Reply reply)
    {
        lock (_lock)
        {
            if (replies[index] is not null)
                return;
            replies[index] = reply;
            // Read under the lock: Later creates them under it.
            var late = ReferenceEquals(replies, _replies) ? _late : _lateReads;
            late?[index]?.TrySetResult(reply);
        }
    }
}
