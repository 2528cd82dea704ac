namespace RaftKV.Protocol.Commands;

public static class CommandIdExtensions
{
    /// <summary>The writes of RaftKV's fencing locks (RAFTKV.LOCK.ACQUIRE, RELEASE, REFRESH): they name a lock, not a key.</summary>
    public static bool IsLockWrite(this CommandId id)
        => id is CommandId.RaftkvLockAcquire or CommandId.RaftkvLockRelease or CommandId.RaftkvLockRefresh;
}
