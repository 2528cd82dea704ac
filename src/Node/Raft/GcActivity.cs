namespace RaftKV.Node.Raft;

/// <summary>
/// What the garbage collector did while one snapshot was written (issue 6: a snapshot's garbage made GC pauses that
/// stalled every client write). Collections and pauses are process-wide, so they include what applies and clients
/// allocated meanwhile; <see cref="WriterAllocatedBytes"/> is the snapshot writer thread's own.
/// <see cref="LongestPause"/> is sampled after each slice: of several collections within one slice it sees the last.
/// </summary>
internal sealed record GcActivity(
    int Gen0Collections,
    int Gen1Collections,
    int Gen2Collections,
    TimeSpan TotalPause,
    TimeSpan LongestPause,
    long WriterAllocatedBytes)
{
    public static readonly GcActivity None = new(0, 0, 0, TimeSpan.Zero, TimeSpan.Zero, 0);
}
