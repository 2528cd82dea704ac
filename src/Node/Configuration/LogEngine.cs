namespace RaftKV.Node.Configuration;

/// <summary>Which write-ahead log a node keeps its Raft log in (<see cref="NodeOptions.Log"/>).</summary>
public enum LogEngine
{
    /// <summary>
    /// The default, the same as <see cref="RaftKV"/>: RaftKV's own log. A data directory that holds DotNext's log
    /// (<c>data/wal</c>, written by releases before this one) is carried over to it at start (term, vote and entries;
    /// <c>Log.DotNextLogMigration</c>).
    /// </summary>
    Auto,

    /// <summary>
    /// DotNext's <c>WriteAheadLog</c> with RaftKV's fixes (<c>DurableWriteAheadLog</c>), in <c>data/wal</c>; refuses to
    /// start on a data directory that holds RaftKV's log. Kept only until that class goes (issue 17).
    /// </summary>
    DotNext,

    /// <summary>
    /// RaftKV's own log (<c>RaftKV.Node.Log.RaftLog</c>, docs/write-ahead-log.md) in <c>data/log</c>: one write and one
    /// fdatasync per append. A DotNext log found in the data directory is carried over to it at start.
    /// </summary>
    RaftKV,
}
