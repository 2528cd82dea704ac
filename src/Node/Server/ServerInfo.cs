namespace RaftKV.Node.Server;

/// <summary>Facts about this process that INFO, HELLO and LASTSAVE report.</summary>
internal sealed class ServerInfo
{
    /// <summary>The Redis version RaftKV answers as; clients pick features by it.</summary>
    public const string RedisVersion = "7.0.15";

    public const string RaftKvVersion = "0.1.0";

    public ServerInfo(TimeProvider clock)
    {
        StartedAt = clock.GetUtcNow();
        RunId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
    }

    public DateTimeOffset StartedAt { get; }

    private int _snapshotsInProgress;

    /// <summary>True while a SAVE, BGSAVE or RAFTKV.SNAPSHOT asked by a client is being written (INFO rdb_bgsave_in_progress).</summary>
    public bool IsSaving => Volatile.Read(ref _snapshotsInProgress) > 0;

    public void SaveStarted() => Interlocked.Increment(ref _snapshotsInProgress);

    public void SaveEnded() => Interlocked.Decrement(ref _snapshotsInProgress);

    /// <summary>A random id per process, as Redis's run_id.</summary>
    public string RunId { get; }
}
