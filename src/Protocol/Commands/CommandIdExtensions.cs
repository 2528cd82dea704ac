namespace RaftKV.Protocol.Commands;

public static class CommandIdExtensions
{
    /// <summary>The writes of RaftKV's fencing locks (RAFTKV.LOCK.ACQUIRE, RELEASE, REFRESH): they name a lock, not a key.</summary>
    public static bool IsLockWrite(this CommandId id)
        => id is CommandId.RaftkvLockAcquire or CommandId.RaftkvLockRelease or CommandId.RaftkvLockRefresh;

    /// <summary>The commands that run a script or a function: EVAL, EVALSHA, FCALL and their read-only forms.</summary>
    public static bool IsScriptCall(this CommandId id)
        => id is CommandId.Eval or CommandId.Evalsha or CommandId.EvalRo or CommandId.EvalshaRo or CommandId.Fcall or CommandId.FcallRo;
}
