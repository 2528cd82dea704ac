namespace RaftKV.StateMachine.Snapshots;

/// <summary>A snapshot stream that is not a complete, intact RaftKV snapshot (wrong magic or version, truncated, checksum mismatch).</summary>
public sealed class SnapshotFormatException : Exception
{
    public SnapshotFormatException()
    {
    }

    public SnapshotFormatException(string message)
        : base(message)
    {
    }

    public SnapshotFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
