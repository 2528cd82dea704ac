namespace RaftKV.Node.Execution;

/// <summary>
/// How long a keyspace command took to run on the leader's state machine (a write's apply, a read's run; Stopwatch
/// ticks), for SLOWLOG and the latency monitor: Redis times a command's execution, not its I/O, and a write's commit
/// round, or a read's wait for the state, is its I/O here. Set before the reply is handed over; stays negative when the
/// command did not run here (relayed, refused, unknown outcome, or a script that ran in slices).
/// </summary>
internal sealed class ExecutionTiming
{
    private long _ticks = -1;

    public long Ticks => Volatile.Read(ref _ticks);

    public void Set(long ticks) => Volatile.Write(ref _ticks, ticks);
}
