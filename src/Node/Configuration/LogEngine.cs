namespace RaftKV.Node.Configuration;

/// <summary>Which write-ahead log a node keeps its Raft log in (<see cref="NodeOptions.Log"/>).</summary>
public enum LogEngine
{
    /// <summary>
    /// The default: the engine whose files the data directory holds (<c>data/wal</c>: DotNext; <c>data/log</c>: RaftKV),
    /// and RaftKV's own log for a new data directory. A node upgraded from a release that used DotNext's log keeps it
    /// (its term, vote and entries are there); a node given an empty directory gets RaftKV's.
    /// </summary>
    Auto,

    /// <summary>DotNext's <c>WriteAheadLog</c> with RaftKV's fixes (<c>DurableWriteAheadLog</c>), in <c>data/wal</c>.</summary>
    DotNext,

    /// <summary>
    /// RaftKV's own log (<c>RaftKV.Node.Log.RaftLog</c>, docs/write-ahead-log.md) in <c>data/log</c>: one write and one
    /// fdatasync per append. What <see cref="Auto"/> picks for a new data directory. A data directory written by one
    /// engine is not read by the other: a node refuses to start on the other engine's files.
    /// </summary>
    RaftKV,
}
