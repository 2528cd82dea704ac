namespace RaftKV.Node.Log;

/// <summary>
/// A leader entry's context (the object given to <c>ReplicateAsync</c>) told when the entry is written to the log at
/// its index, before its fdatasync and replication: the group commit appends its next entry only after that, so
/// entries it has in flight together keep the order it took them in.
/// </summary>
internal interface IAppendObserver
{
    /// <summary>Called once, holding the log's gate: must not run anything else inline.</summary>
    void Appended();
}
