using DotNext.Net.Cluster.Consensus.Raft;

namespace RaftKV.Node.Raft;

/// <summary>
/// What the host, INFO and tests read of the Raft log (<see cref="Log.RaftLog"/>) beyond DotNext's persistence
/// interface.
/// </summary>
internal interface IReplicatedLog : IPersistentState, IAsyncDisposable
{
    /// <summary>AppendEntries batches made durable before they were acknowledged.</summary>
    long FlushedAppends { get; }

    /// <summary>Snapshot installations that dropped a log tail conflicting with the snapshot (chaos bug 4).</summary>
    long DroppedTails { get; }

    /// <summary>Leader appends refused because the node's term had moved past the term it was elected in (chaos bug 5).</summary>
    long RejectedLeaderAppends { get; }

    /// <summary>Replication reads cut to the batch limits (chaos bug 2).</summary>
    long CutBatches { get; }

    /// <summary>InstallSnapshot replies taken as success because the follower already held the snapshot (chaos bug 7).</summary>
    long HeldSnapshots { get; }

    /// <summary>Why the log stopped working (it then refuses everything until the node restarts), or null.</summary>
    Exception? BackgroundFailure { get; }

    /// <summary>
    /// Time since this node last accepted an AppendEntries or a snapshot from a leader, or since it started (a node
    /// that starts counts as having just heard one). While it is below ElectionTimeoutMinMs the log refuses votes
    /// (<see cref="IPersistentState.IsVotedFor"/>): a follower keeps refusing as long as a leader's lease may count its
    /// acknowledgement, also right after a restart, which erased its memory of that leader.
    /// </summary>
    TimeSpan SinceLeaderHeard { get; }

    /// <summary>Called when a replication read was cut short, so the host starts the next round at once.</summary>
    Action? BatchCut { get; set; }

    /// <summary>The term of the entry at <paramref name="index"/> in this node's log; 0 when the log does not hold it (compacted, or not there yet).</summary>
    long TermOf(long index);

    /// <summary>
    /// Whether this node holds the entry at <paramref name="index"/> of <paramref name="term"/> durably: committed here
    /// (committed entries are the same on every member), or appended, fsync'd and matched with a leader's log with that
    /// term. A <paramref name="term"/> of 0 asks only whether it is committed here (WAIT, Server/WaitCommand.cs).
    /// </summary>
    bool HoldsDurably(long index, long term);
}
