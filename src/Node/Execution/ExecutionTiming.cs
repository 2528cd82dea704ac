namespace RaftKV.Node.Execution;

/// <summary>
/// How long a write took to run on the leader's state machine (its apply, in Stopwatch ticks), for SLOWLOG: Redis times
/// a command's execution, not its I/O, and the commit round of a write is its I/O here. Set at apply, before the reply
/// is handed over; stays negative when the command was not applied here (relayed, refused, unknown outcome, or a script
/// that ran in slices).
/// </summary>
internal sealed class ExecutionTiming
{
    private long _ticks = -1;

    public long Ticks => Volatile.Read(ref _ticks);

    public void Set(long ticks) => Volatile.Write(ref _ticks, ticks);
}
