namespace RaftKV.StateMachine.Values;

/// <summary>
/// The six Redis value types. THIS IS A PERSISTED FORMAT: the numbers are the type tags in snapshots
/// and digests. Append-only; never renumber.
/// </summary>
internal enum ValueKind : byte
{
    String = 0,
    List = 1,
    Set = 2,
    SortedSet = 3,
    Hash = 4,
    Stream = 5,
}
