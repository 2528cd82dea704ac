namespace RaftKV.Node.Configuration;

/// <summary>Which write-ahead log a node keeps its Raft log in (<see cref="NodeOptions.Log"/>).</summary>
public enum LogEngine
{
    /// <summary>DotNext's <c>WriteAheadLog</c> with RaftKV's fixes (<c>DurableWriteAheadLog</c>), in <c>data/wal</c>.</summary>
    DotNext,

    /// <summary>
    /// RaftKV's own log (<c>RaftKV.Node.Log.RaftLog</c>, docs/write-ahead-log.md) in <c>data/log</c>: one write and one
    /// fdatasync per append. Not the default yet (issue 17, step 3). A data directory written by one engine is not
    /// read by the other.
    /// </summary>
    RaftKV,
}
