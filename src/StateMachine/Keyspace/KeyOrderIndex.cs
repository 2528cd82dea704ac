using RaftKV.StateMachine.Ordering;

namespace RaftKV.StateMachine.Keyspace;

/// <summary>The keyspace's entries in canonical order (<see cref="KeyOrder"/>), for KEYS, SCAN, RANDOMKEY, digests and snapshots.</summary>
internal sealed class KeyOrderIndex() : PositionIndex<KeyEntry>(KeyOrder.Instance);
