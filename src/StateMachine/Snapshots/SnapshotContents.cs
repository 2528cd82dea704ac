namespace RaftKV.StateMachine.Snapshots;

/// <summary>A snapshot read back: a fresh store and the last applied log index and term it reflects.</summary>
public sealed record SnapshotContents(KeyValueStore Store, long Index, long Term);
