using System.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using RaftKV.Node.Log;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests.Log;

/// <summary>
/// The leader's own fdatasync overlaps its replication round (Raft thesis 10.2.1): a leader append returns once its
/// entry is written and readable, before it is durable; the leader counts toward a commit only once its sync is done,
/// and nothing else is written before that sync (recovery allows one unsynced append at most).
/// </summary>
public sealed class LeaderSyncOverlapTests : IDisposable
{
    private static readonly ClusterMemberId Self = ClusterMemberId.FromEndPoint(new IPEndPoint(IPAddress.Loopback, 7379));
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "raftkv-leadersync-" + Guid.NewGuid().ToString("N"));
    private readonly LogFolder _folder = new();

    public void Dispose()
    {
        _folder.Dispose();
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task LeaderAppend_ReturnsBeforeItsSync_AndIsCommittedOnlyAfterIt()
    {
        using var release = new ManualResetEventSlim();
        using var reached = new SemaphoreSlim(0);
        var hold = false;
        var options = new RaftLogOptions
        {
            ElectionTimeoutMin = TimeSpan.Zero,
            BeforeLeaderSync = () =>
            {
                if (!Volatile.Read(ref hold))
                    return;
                reached.Release();
                release.Wait(TimeSpan.FromSeconds(30));
            },
        };
        await using var node = await WalNode.OpenAsync(_directory, raftLogOptions: options);
        Assert.Equal(1, await node.State.IncrementTermAsync(Self));
        Assert.Equal(1, await node.State.AppendAsync(WalNode.Entry(1, WalNode.Set("a", "1"))));
        await node.CommitAsync(1);

        Volatile.Write(ref hold, true);
        var index = await node.State.AppendAsync(WalNode.Entry(1, WalNode.Set("a", "2")));
        Assert.Equal(2, index);
        await reached.WaitAsync(TimeSpan.FromSeconds(30));

        // Written and readable for the followers, but not durable here: a majority that counts this node cannot form.
        Assert.Equal(2, node.Log.LastEntryIndex);
        Assert.True(((RaftLog)node.Log).Storage.SyncPending);
        Assert.Equal(0, await node.Log.CommitAsync(2));
        Assert.Equal(1, node.Log.LastCommittedEntryIndex);

        // The next append waits for the sync: it is never written beside an unsynced one.
        var next = node.State.AppendAsync(WalNode.Entry(1, WalNode.Set("a", "3"))).AsTask();
        Assert.False(next.IsCompleted);

        Volatile.Write(ref hold, false);
        release.Set();

        // The commit asked for while the sync ran goes through once it ends, without another round.
        await node.Log.WaitForApplyAsync(2).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, node.Log.LastCommittedEntryIndex);
        Assert.Equal(3, await next.WaitAsync(TimeSpan.FromSeconds(30)));
        await node.CommitAsync(3);
        Assert.Equal(WalNode.DigestOf(("a", "3")), node.Digest());
    }

    [Fact]
    public void AppendWithoutSync_AllowsNoOtherWrite_UntilSyncTail()
    {
        using var log = _folder.Open(segmentBytes: 1 << 20);
        LogFolder.AppendBatch(log, 3, term: 1); // creates the segment: synced with its folder at once
        var syncs = log.Syncs;

        var batch = log.NewBatch();
        batch.Add(1, LogFolder.Payload(4), isConfiguration: false, commandId: null);
        Assert.True(log.AppendWithoutSync(batch));
        Assert.True(log.SyncPending);
        Assert.Equal(4, log.LastIndex);
        LogFolder.AssertRecords(log.Read(1, 4), 1);

        Assert.Throws<InvalidOperationException>(() => LogFolder.AppendBatch(log, 1, term: 1));
        Assert.Throws<InvalidOperationException>(() => log.TruncateFrom(4));
        Assert.Throws<InvalidOperationException>(() => log.Reset(10));

        log.SyncTail();
        Assert.False(log.SyncPending);
        Assert.Equal(syncs + 1, log.Syncs);
        LogFolder.AppendBatch(log, 1, term: 1);
        Assert.Equal(5, log.LastIndex);
    }

    /// <summary>
    /// Regression (WAIT's HOLDS): a follower that truncated a stale tail kept its matched index, so the entry rewritten
    /// at the same index counted as durable (HoldsDurably) while its fdatasync had not run yet.
    /// </summary>
    [Fact]
    public async Task RewrittenEntry_DoesNotCountAsDurable_BeforeItsSync()
    {
        using var release = new ManualResetEventSlim();
        using var reached = new SemaphoreSlim(0);
        var hold = false;
        var options = new RaftLogOptions
        {
            ElectionTimeoutMin = TimeSpan.Zero,
            BeforeFollowerSync = () =>
            {
                if (!Volatile.Read(ref hold))
                    return;
                reached.Release();
                release.Wait(TimeSpan.FromSeconds(30));
            },
        };
        await using var node = await WalNode.OpenAsync(_directory, raftLogOptions: options);
        await node.AppendAsync(1, WalNode.Entry(1, WalNode.Set("a", "1")), WalNode.Entry(2, WalNode.Set("a", "2")), WalNode.Entry(2, WalNode.Set("a", "3")));
        Assert.True(node.Log.HoldsDurably(3, 2));

        Volatile.Write(ref hold, true);
        // On the pool: the hook blocks the thread the append runs on, which must not be the test's.
        var rewrite = Task.Run(() => node.AppendAsync(2, WalNode.Entry(3, WalNode.Set("a", "x")), WalNode.Entry(3, WalNode.Set("a", "y"))).AsTask());
        Assert.True(await reached.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(rewrite.IsCompleted);
        Assert.Equal(3, node.Log.TermOf(2));
        Assert.False(node.Log.HoldsDurably(2, 3));
        Assert.False(node.Log.HoldsDurably(3, 3));
        Assert.True(node.Log.HoldsDurably(1, 1));

        release.Set();
        await rewrite;
        Assert.True(node.Log.HoldsDurably(3, 3));
        Assert.False(node.Log.HoldsDurably(3, 2));
    }
}
