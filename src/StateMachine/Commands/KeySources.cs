using RaftKV.StateMachine.Keyspace;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// The keys a command only reads: the sources of SINTERSTORE, ZUNIONSTORE and the like. They are never stamped as changed
/// (opened for writing, a source was, and a WATCH on it aborted EXEC where Redis runs it). Applied as a write (a
/// *STORE), an expired source is removed as Redis's lookupKeyRead removes it on the master; as a read, it is only
/// unseen.
/// </summary>
internal static class KeySources
{
    public static KeyEntry? Find(KeyTable keys, byte[] key, long now, bool applyingWrite) =>
        applyingWrite ? keys.FindUnchanged(key, now) : keys.FindLive(key, now);
}
