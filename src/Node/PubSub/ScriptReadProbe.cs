namespace RaftKV.Node.PubSub;

/// <summary>
/// A tracking client's script (EVAL, EVALSHA, FCALL and their read-only forms) on its way to the state machine. Redis
/// remembers a script's declared keys for its caller only when the script calls a read-only command (call() in
/// server.c), which is known only once it ran. The session remembers them before it runs, as for any read, so no
/// change made after the script is missed; the node that runs the script tells this probe whether it called a read
/// (<see cref="Report"/>), and if it did not, the session forgets the keys this script alone added
/// (<see cref="TrackingTable.ForgetUnlessFollowed"/>). A probe nobody reports to (a script relayed to the leader, one
/// deferred behind a suspended script or suspended itself, one timed out or refused before it ran) keeps the keys: a
/// spare invalidation at worst, never a missed one. Scripts inside MULTI get no probe of their own: EXEC's
/// <see cref="ExecTrackingPlan"/> remembers their keys.
/// </summary>
internal sealed class ScriptReadProbe(Resp.ClientSession caller, long started, List<string> added) : Execution.ClientProbe(caller)
{
    private int _state; // 0 not reported, 1 called a read-only command, 2 did not

    /// <summary>The session's count of commands started when this script started (none may start after it for a forget).</summary>
    public long Started { get; } = started;

    /// <summary>The keys remembered for this script that the client did not track before it (Latin-1 names).</summary>
    public List<string> Added { get; } = added;

    /// <summary>True once the node that ran the script reported that it called no read-only command.</summary>
    public bool CalledNoRead => Volatile.Read(ref _state) == 2;

    /// <summary>The script ran (on the thread that reports, right after it): whether it called a read-only command.</summary>
    public override void Report(bool calledRead) => Interlocked.CompareExchange(ref _state, calledRead ? 1 : 2, 0);
}
