namespace RaftKV.StateMachine.Transactions;

/// <summary>
/// One WATCHed key as the leader saw it after a read barrier: its modification revision
/// (<see cref="KeyValueStore.Watch"/>) and whether it was live then (stored and not expired). A key that was stored
/// but already expired (stale) is not live: its later deletion is no change, as in Redis 7.0.
/// </summary>
public sealed record WatchedKey(byte[] Key, long Revision, bool WasLive);
