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
    [Fact]
    public async Task ReadingTheToken_WhileTheLeaderChanges_NeverThrows()
    {
        var epoch = new LeaderEpoch();
        using var done = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var started = new CountdownEvent(2);
        var readers = Enumerable.Range(0, 2).Select(reader => Task.Run(() =>
        {
            started.Signal();
            long reads = 0;
            while (!done.IsCancellationRequested)
            {
                var token = epoch.Token;
                if (token.CanBeCanceled)
                    reads++;
            }

            return reads;
        })).ToList();

        Assert.True(started.Wait(TimeSpan.FromSeconds(30)), "the readers did not start");
        for (var i = 0; i < 200_000 && !done.IsCancellationRequested; i++)
            epoch.Advance();
        await done.CancelAsync();

        foreach (var reader in readers)
            Assert.True(await reader > 0);
    }
}
