using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Chaos bug 6 (seed 504), as it would show in RaftKV's log. In DotNext 6.12's log a follower installed the leader's
/// snapshot at 6000 while its log ended at 5729 and then failed every AppendEntries with "WAL page 93 doesn't exist on
/// the disk": the background flusher had read the snapshot index before the install and used it after, flushing
/// metadata of entries the log never had; the failure stopped the log for good.
/// RaftKV's log has one background task that reads the snapshot index and then touches the files, the compaction (drop
/// the log up to the published snapshot). The test holds it right after it chose that index, installs a snapshot far
/// past the tail, and lets it go on with the stale index: by design (the drop is re-checked against the log's bounds
/// under the write lock, and an install only moves the log forward) it drops nothing, and the log keeps appending,
/// committing and applying, also after a restart.
/// </summary>
public sealed class SnapshotInstallCompactionTests : IDisposable
{
    private const long SnapshotIndex = 1000; // far past the tail (10)
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "raftkv-compaction-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Install_BeyondTheTail_WhileTheCompactionHoldsTheOldSnapshotIndex_LeavesTheLogWorking()
    {
        var held = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (var node = await WalNode.OpenAsync(_directory, snapshotInterval: 5))
        {
            node.RaftLog.BeforeCompaction = async index =>
            {
                if (held.TrySetResult(index))
                    await resume.Task.WaitAsync(TimeSpan.FromSeconds(30));
            };

            // Entries 1-10; the state machine snapshots at 5, and the next apply after it is published wakes the compaction.
            for (var index = 1; index <= 10; index++)
                await node.AppendAsync(index, term: 2, key: "old", value: index);
            await node.CommitAsync(8);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (node.StateMachine.PublishedSnapshot is null)
            {
                Assert.True(DateTime.UtcNow < deadline, "no snapshot was published");
                await Task.Delay(10);
            }

            await node.CommitAsync(10);
            var stale = await held.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.InRange(stale, 1, 10);

            // InstallSnapshot (index 1000, far past the tail) completes while the compaction holds the old index...
            await node.InstallSnapshotAsync(SnapshotIndex, term: 3, key: "snapshot");
            Assert.Equal(SnapshotIndex, node.Log.LastEntryIndex);

            // ...which then goes on with it, and appending, committing and applying go on.
            resume.SetResult();
            while (node.RaftLog.CompactedTo < stale)
            {
                Assert.True(DateTime.UtcNow < deadline.AddSeconds(30), "the held compaction never finished");
                await Task.Delay(10);
            }

            Assert.Null(node.Log.BackgroundFailure);
            for (var index = SnapshotIndex + 1; index <= SnapshotIndex + 5; index++)
                await node.AppendAsync(index, term: 3, key: "new", value: (int)index);
            await node.CommitAsync(SnapshotIndex + 5);
            Assert.Null(node.Log.BackgroundFailure);
            Assert.Equal(SnapshotIndex + 5, node.Log.LastEntryIndex);
            Assert.Equal(WalNode.DigestOf(("snapshot", "1"), ("new", "1005")), node.Digest());
        }

        // A restart has every entry after the snapshot (the commit index is not kept: the leader's next heartbeat brings it).
        await using var reopened = await WalNode.OpenAsync(_directory, snapshotInterval: 5);
        Assert.Equal(SnapshotIndex + 5, reopened.Log.LastEntryIndex);
        await reopened.HeartbeatAsync(SnapshotIndex + 5);
        await reopened.CommitAsync(SnapshotIndex + 5);
        Assert.Equal(WalNode.DigestOf(("snapshot", "1"), ("new", "1005")), reopened.Digest());
        await reopened.AppendAsync(SnapshotIndex + 6, term: 3, key: "after-restart", value: 1);
        Assert.Null(reopened.Log.BackgroundFailure);
    }
}
