using RaftKV.Node.Raft;

namespace RaftKV.Node.Tests.Raft;

/// <summary>The leader-change token: each change cancels the token handed out before it, and reading it never throws.</summary>
public sealed class LeaderEpochTests
{
    [Fact]
    public void Advance_CancelsThePreviousToken_NotTheNext()
    {
        var epoch = new LeaderEpoch();
        var first = epoch.Token;
        Assert.False(first.IsCancellationRequested);

        var second = epoch.Advance();
        Assert.True(first.IsCancellationRequested);
        Assert.False(second.IsCancellationRequested);
        Assert.Equal(second, epoch.Token);
    }

    // Regression: the ended source was disposed, so a reader that read the field just before a change threw
    // ObjectDisposedException when it asked that source for its token (WAIT, blocking commands, forwarding, lock leases).
    // The race itself is one field read wide; what it needs is that an ended source is still usable after the change.
    // The token's wait handle asks its source, which refuses once disposed. (A spinning two-reader version of this test
    // held both of CI's cores for seconds and starved a cluster test running beside it.)
    [Fact]
    public void ATokenHandedOutBeforeAChange_StillWorksAfterIt()
    {
        var epoch = new LeaderEpoch();
        var before = epoch.Token;
        epoch.Advance();
        epoch.Advance();

        Assert.True(before.IsCancellationRequested);
        Assert.True(before.WaitHandle.WaitOne(0));
        Assert.False(epoch.Token.WaitHandle.WaitOne(0));
    }
}
