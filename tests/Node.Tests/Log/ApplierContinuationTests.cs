using RaftKV.Node.Log;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests.Log;

/// <summary>
/// The group commit's wait for its entry's apply (RaftLog.ContinueOnApplier) continues on the applier's thread, once the
/// entry is applied, instead of a thread-pool thread after it: one hop less per replication round. Any other wait for an
/// apply continues on the pool as before.
/// </summary>
public sealed class ApplierContinuationTests : IDisposable
{
    private static readonly DotNext.Net.Cluster.ClusterMemberId Self =
        DotNext.Net.Cluster.ClusterMemberId.FromEndPoint(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 7379));

    private readonly LogFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task AWaitInsideTheScope_ContinuesOnTheApplier_AfterTheEntryIsApplied_AndOneOutsideItOnThePool()
    {
        await using var node = await WalNode.OpenAsync(_folder.Path);
        var applierThread = -1;
        node.StateMachine.BeforeApply = _ =>
        {
            Volatile.Write(ref applierThread, Environment.CurrentManagedThreadId);
            return Task.CompletedTask;
        };
        Assert.Equal(1, await node.State.IncrementTermAsync(Self));

        Assert.Equal(1, await node.State.AppendAsync(WalNode.Entry(1, WalNode.Set("a", "1"))));
        var inside = ObserveAsync(node, 1, onApplier: true);
        var outside = ObserveAsync(node, 1, onApplier: false);
        Assert.False(inside.IsCompleted);
        await node.Log.CommitAsync(1);

        var (insideThread, insidePool, insideApplied) = await inside.WaitAsync(TimeSpan.FromSeconds(30));
        var (_, outsidePool, outsideApplied) = await outside.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Volatile.Read(ref applierThread), insideThread);
        Assert.False(insidePool);
        Assert.True(insideApplied >= 1);
        Assert.True(outsidePool);
        Assert.True(outsideApplied >= 1);
    }

    // RaftHost awaits the log's DisposeAsync: that releases it as Dispose does (regression: DotNext's WriteAheadLog
    // disposes through DisposeAsyncCore and then Dispose(false), which skipped the release, so these waits hung).
    [Fact]
    public async Task DisposeAsync_StopsTheLog_AndEveryWaitForAnApplyFails()
    {
        var node = await WalNode.OpenAsync(_folder.Path);
        Assert.Equal(1, await node.State.IncrementTermAsync(Self));
        Assert.Equal(1, await node.State.AppendAsync(WalNode.Entry(1, WalNode.Set("a", "1"))));
        var inside = ObserveAsync(node, 1, onApplier: true);
        var outside = ObserveAsync(node, 1, onApplier: false);

        await node.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => outside.WaitAsync(TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => inside.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    // Where the wait continued: the thread, whether it is a pool thread, and the applied index seen there.
    // With a token that can be cancelled, as DotNext's ReplicateAsync passes one (the wait then goes through WaitAsync's
    // own completion).
    private static async Task<(int Thread, bool Pool, long Applied)> ObserveAsync(WalNode node, long index, bool onApplier)
    {
        using var live = new CancellationTokenSource();
        ValueTask wait;
        if (onApplier)
        {
            using (RaftLog.ContinueOnApplier())
                wait = node.RaftLog.WaitForApplyAsync(index, live.Token);
        }
        else
        {
            wait = node.RaftLog.WaitForApplyAsync(index, live.Token);
        }

        await wait.ConfigureAwait(false);
        return (Environment.CurrentManagedThreadId, Thread.CurrentThread.IsThreadPoolThread, node.StateMachine.AppliedIndex);
    }
}
