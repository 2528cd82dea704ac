namespace RaftKV.Node.Raft;

/// <summary>
/// One cancellation per leader change: work bound to the current leader takes <see cref="Token"/> and stops waiting
/// when the leader changes (<see cref="Advance"/>). A source that ended is cancelled and never disposed: a reader may
/// have read the field just before the change and only then ask it for its token, which a disposed source refuses with
/// ObjectDisposedException; it holds no timer or wait handle, so the collector takes it.
/// </summary>
internal sealed class LeaderEpoch
{
    private CancellationTokenSource _current = new();

    /// <summary>Cancelled when the current epoch ends.</summary>
    public CancellationToken Token => Volatile.Read(ref _current).Token;

    /// <summary>Ends the current epoch (its token is cancelled) and returns the token of the one that starts.</summary>
    public CancellationToken Advance()
    {
        var next = new CancellationTokenSource();
        Interlocked.Exchange(ref _current, next).Cancel();
        return next.Token;
    }
}
