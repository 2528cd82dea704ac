using RaftKV.Node.Resp;
using RaftKV.StateMachine.Acl;

namespace RaftKV.Node.Execution;

/// <summary>
/// What a client's command carries to the apply on the leader (the group commit's context: QueuedReply, BatchedWrite or
/// PendingWrite, then <see cref="Raft.ReplyTarget"/>), or into its read, so that this node learns what Redis learns only
/// while the command runs: the commands its script called that ACL refused (for this node's ACL LOG, context lua), and
/// for a tracking client whether a script called a read-only command (<see cref="PubSub.ScriptReadProbe"/>) and when
/// each read inside EXEC ran (<see cref="PubSub.ExecTrackingPlan"/>). Nothing of it reaches the state or a reply;
/// followers apply the same entry without it.
/// </summary>
internal class ClientProbe(ClientSession caller)
{
    /// <summary>The session that sent the command.</summary>
    public ClientSession Caller { get; } = caller;

    /// <summary>The command (a script) ran: whether it called a read-only command. On the thread that ran it.</summary>
    public virtual void Report(bool calledRead)
    {
    }

    /// <summary>Commands its scripts called were refused by ACL (on the thread that ran them): they go to the ACL LOG.</summary>
    public void ScriptAclRefused(List<ScriptAclRefusal> refusals) => Caller.LogScriptRefusals(refusals);

    /// <summary>The commands its scripts called (on the thread that ran them): they count in INFO commandstats.</summary>
    public void ScriptCalled(RaftKV.StateMachine.Scripting.ScriptCalls calls) => Caller.CountScriptCalls(calls);

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
