namespace RaftKV.Node.Log;

/// <summary>Settings of <see cref="RaftLog"/>.</summary>
internal sealed record RaftLogOptions
{
    public SegmentedLogOptions Segments { get; init; } = new();

    /// <summary>
    /// The lower election timeout: the node refuses votes for this long after it last heard a leader (or started), as
    /// long as a leader's lease may count its acknowledgement.
    /// </summary>
    public TimeSpan ElectionTimeoutMin { get; init; } = TimeSpan.FromMilliseconds(600);

    /// <summary>Most payload bytes one replication read hands to a follower's AppendEntries (at least one entry).</summary>
    public long ReplicationBatchBytes { get; init; } = 1 << 20;

    /// <summary>Most entries one replication read hands to a follower's AppendEntries.</summary>
    public int ReplicationBatchEntries { get; init; } = 4096;

    /// <summary>Most payload bytes the applier reads from the log at once.</summary>
    public long ApplyBatchBytes { get; init; } = 4 << 20;

    /// <summary>Tests: runs before the fdatasync of a leader append, which the leader's replication overlaps.</summary>
    public Action? BeforeLeaderSync { get; init; }

    /// <summary>Tests: runs between a follower append's write and its fdatasync (the entries are readable, not durable).</summary>
    public Action? BeforeFollowerSync { get; init; }

    /// <summary>Appends are refused while this returns true (the data disk is nearly full).</summary>
    public Func<bool> DiskLow { get; init; } = static () => false;
}
