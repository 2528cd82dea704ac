using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Acl;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// What scripts run on a thread showed that the node, not the state, needs (client tracking, ACL LOG, INFO
/// commandstats): per thread, cleared before a command and read on the same thread right after it.
/// </summary>
internal sealed partial class ScriptHost
{
    // Whether a script run on this thread called a read-only command since the last ClearCalledRead. Per thread, not per
    // host: reads (EVAL_RO) and applies run scripts on different threads, and each caller clears the flag before a
    // command and reads it on the same thread right after it. Only ever set between the two, never cleared by a script:
    // a false "no read" would make the node forget keys it must invalidate. Not part of any reply or state.
    [ThreadStatic]
    private static bool t_calledRead;

    /// <summary>
    /// Whether a script run on the calling thread since <see cref="ClearCalledRead"/> called a read-only command (Redis
    /// remembers the declared keys of a tracking client's script only then, in call()).
    /// </summary>
    public static bool CalledReadOnThisThread => t_calledRead;

    /// <summary>Clears <see cref="CalledReadOnThisThread"/>, before a command that may run a script.</summary>
    public static void ClearCalledRead() => t_calledRead = false;

    // The commands scripts run on this thread called and ACL refused since the last TakeRefusals (ACL LOG, context lua).
    // Per thread for the reason above; never part of a reply or of the state.
    [ThreadStatic]
    private static List<ScriptAclRefusal>? t_refusals;

    // A script may be refused millions of times in a loop (pcall): a run of like refusals is one item with its count,
    // and at most MaxRefusalsKept distinct ones are kept per command (the ACL LOG keeps at most acllog-max-len anyway).
    private const int MaxRefusalsKept = 128;

    private static void NoteRefusal(ScriptAclRefusal refused)
    {
        var refusals = t_refusals ??= [];
        if (refusals.Count > 0 && refusals[^1] is var last && last with { Count = 1 } == refused)
            refusals[^1] = last with { Count = last.Count + 1 };
        else if (refusals.Count < MaxRefusalsKept)
            refusals.Add(refused);
    }

    /// <summary>The refusals recorded on the calling thread since the last call (null when none), and clears them.</summary>
    public static List<ScriptAclRefusal>? TakeRefusals()
    {
        var refusals = t_refusals;
        t_refusals = null;
        return refusals;
    }

    // The calls of scripts run on this thread since the last TakeCalls, and their errors. Per thread for the reason
    // above; never part of a reply or of the state.
    [ThreadStatic]
    private static ScriptCalls? t_calls;

    private static void NoteCall(string? name, bool ran, ErrorReply? error) => (t_calls ??= new ScriptCalls()).Note(name, ran, error);

    /// <summary>The calls counted on the calling thread since the last call (null when none), and clears them.</summary>
    public static ScriptCalls? TakeCalls()
    {
        var calls = t_calls;
        t_calls = null;
        return calls;
    }
}
