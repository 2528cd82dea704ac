namespace RaftKV.Node.Log;

/// <summary>
/// One entry of the log as stored: its index and term, whether it is a cluster configuration entry, DotNext's optional
/// command id, and the payload. Records returned by <see cref="SegmentedLog.Read"/> own their payload (a slice of a
/// buffer allocated for that read, or of an appended batch's, which is never written again), which stays valid after the call.
/// </summary>
internal readonly record struct LogRecord(long Index, long Term, bool IsConfiguration, int? CommandId, ReadOnlyMemory<byte> Payload);
