namespace RaftKV.Node.Execution;

/// <summary>
/// One blocking command's wait on the leader, which CLIENT UNBLOCK from another client can end: as a timeout (the
/// command answers what its timeout answers) or as an error (-UNBLOCKED). Ending the wait never cancels a pop already
/// proposed: the command stops waiting, so nothing is popped for it afterwards.
/// </summary>
internal sealed class BlockedWait : IDisposable
{
    public const string UnblockedError = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

    private readonly CancellationTokenSource _unblock = new();
    private int _ended;

    /// <summary>Cancelled once CLIENT UNBLOCK ended the wait.</summary>
    public CancellationToken Token => _unblock.Token;

    /// <summary>True when CLIENT UNBLOCK asked for the error reply rather than the timeout's.</summary>
    public bool AsError { get; private set; }

    /// <summary>Ends the wait; false when it had already been ended (Redis answers 1 only for a client it unblocked).</summary>
    public bool TryUnblock(bool asError)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
            return false;
        AsError = asError;
        _unblock.Cancel();
        return true;
    }

    public void Dispose() => _unblock.Dispose();
}
