namespace RaftKV.Chaos.Workloads;

/// <summary>
/// One client's view of the lock it holds, if any. Only that client's worker touches it, one op at a time.
/// <see cref="Deadline"/> is measured from the acquire's invocation (the earliest the server can have started the
/// lease), so the holder's belief ends no later than the server's lease, clock rate drift within the margin.
/// </summary>
internal sealed class LockSession
{
    public string? Lock { get; set; }
    public string? Owner { get; set; }
    public long? Token { get; set; }

    /// <summary>History-clock nanoseconds after which the holder must not act under the lock.</summary>
    public long Deadline { get; set; }

    /// <summary>Writes still to make under the lock; chosen with the acquire, kept when it succeeds.</summary>
    public int WritesLeft { get; set; }
    public int Sequence { get; set; }

    public bool Holding => Owner is not null;

    public void Clear()
    {
        Lock = null;
        Owner = null;
        Token = null;
        WritesLeft = 0;
        Sequence = 0;
    }
}
