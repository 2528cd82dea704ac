namespace RaftKV.Node.Log;

/// <summary>Settings of <see cref="SegmentedLog"/>.</summary>
internal sealed record SegmentedLogOptions
{
    /// <summary>
    /// A new segment file is started before a batch once the current one holds this many bytes. A batch never spans two
    /// segments (one write, one sync), so a segment may end up larger by one batch.
    /// </summary>
    public long SegmentBytes { get; init; } = 64L << 20;

    /// <summary>
    /// A new segment file is given its full <see cref="SegmentBytes"/> length at once (sparse: no disk blocks until
    /// written), so an append inside it leaves the file's size alone and its fdatasync has no inode to write: on ext4
    /// 25-30% less CPU and latency per fdatasync than a file that grows with every append (`scripts/fsync-bench.py`).
    /// Recovery takes the zeros after the last segment's last record for unwritten space.
    /// </summary>
    public bool Preallocate { get; init; } = true;

    /// <summary>
    /// With <see cref="Preallocate"/>, the tail segment's blocks up to this many bytes past its last record are written
    /// with zeros and synced in the background, so an append's fdatasync writes its data and no block allocation
    /// (SegmentedLog.ZeroFill.cs). 0: none, appends allocate the sparse blocks they fill.
    /// </summary>
    public long ZeroAheadBytes { get; init; } = 4L << 20;

    /// <summary>
    /// Bytes of the latest appends kept in memory as written (<see cref="RecentRecords"/>): reads of them, which
    /// replication and the applier make right after each append, need no disk read. 0 keeps none.
    /// </summary>
    public long RecentBytes { get; init; } = 2L << 20;

    /// <summary>
    /// Called with a segment file's path just before the file is deleted (tests hold a deletion there to see what waits
    /// for it). Null in production.
    /// </summary>
    public Action<string>? BeforeSegmentDeleted { get; init; }
}
