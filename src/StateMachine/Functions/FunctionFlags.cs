namespace RaftKV.StateMachine.Functions;

/// <summary>
/// The flags a function declares at registration (<c>flags={'no-writes', ...}</c>), as Redis 7.0's script flags.
/// THIS IS A PERSISTED FORMAT (snapshots): the values are stored; append only.
/// </summary>
[Flags]
internal enum FunctionFlags
{
    None = 0,
    NoWrites = 1 << 0,
    AllowOom = 1 << 1,
    AllowStale = 1 << 2,
    NoCluster = 1 << 3,
    AllowCrossSlotKeys = 1 << 4,
}
