namespace RaftKV.StateMachine.Scripting;

/// <summary>How often scripts run on one thread called one command (INFO commandstats): run, of those failed, and rejected before running.</summary>
public sealed class ScriptCallCount
{
    public long Calls { get; set; }

    public long Failed { get; set; }

    public long Rejected { get; set; }
}
