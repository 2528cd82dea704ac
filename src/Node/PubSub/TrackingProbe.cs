namespace RaftKV.Node.PubSub;

/// <summary>
/// What a tracking client's command carries to the apply on the leader (the group commit's context: QueuedReply,
/// BatchedWrite or PendingWrite, then <see cref="Raft.ReplyTarget"/>), so that the applier can tell this node's
/// <see cref="TrackingTable"/> what Redis decides only while the command runs: whether a script called a read-only
/// command (<see cref="ScriptReadProbe"/>), and when each read inside EXEC ran (<see cref="ExecTrackingPlan"/>).
/// Nothing of it reaches the state or a reply; followers apply the same entry without it.
/// </summary>
internal abstract class TrackingProbe
{
    /// <summary>The command (a script) ran: whether it called a read-only command. On the applier.</summary>
    public virtual void Report(bool calledRead)
    {
    }

    /// <summary>The command at <paramref name="position"/> of the EXEC entry carrying this probe is about to apply. On the applier.</summary>
    public virtual void TransactionStepStarting(int position)
    {
    }

    /// <summary>
    /// The command at <paramref name="position"/> of the EXEC entry carrying this probe was applied (the entry's later
    /// commands not yet): <paramref name="scriptCalledRead"/> says whether it was a script that called a read-only
    /// command. On the applier, under the state's write lock, so no other client's write falls in between.
    /// </summary>
    public virtual void TransactionStep(int position, bool scriptCalledRead)
    {
    }
}
