using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Chaos bug 6: after a follower installs a snapshot far past its log's tail, the log goes on appending, committing and
/// applying, and a restart finds every entry after the snapshot. (SnapshotInstallCompactionTests holds RaftKV's one
/// background task that reads the snapshot index, the compaction, at the point DotNext's flusher failed.)
/// </summary>
public sealed class SnapshotInstallPastTheTailTests : IDisposable
{
    private const long SnapshotIndex = 1000;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "raftkv-past-tail-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Install_FarPastTheTail_LeavesTheLogWorking_AndARestartHasEveryEntryAfterIt()
    {
        var expected = WalNode.DigestOf(("snapshot", "1"), ("new", "1005"));
        await using (var node = await WalNode.OpenAsync(_directory))
        {
            for (var index = 1; index <= 10; index++)
                await node.AppendAsync(index, term: 2, key: "old", value: index);
            await node.CommitAsync(10);

            await node.InstallSnapshotAsync(SnapshotIndex, term: 3, key: "snapshot");
            Assert.Equal(SnapshotIndex, node.Log.LastEntryIndex);
            Assert.Equal(SnapshotIndex, node.Log.LastCommittedEntryIndex);

            for (var index = SnapshotIndex + 1; index <= SnapshotIndex + 5; index++)
                await node.AppendAsync(index, term: 3, key: "new", value: (int)index);
            await node.CommitAsync(SnapshotIndex + 5);
            Assert.Equal(expected, node.Digest());
        }

        await using (var reopened = await WalNode.OpenAsync(_directory))
        {
            Assert.Equal(SnapshotIndex + 5, reopened.Log.LastEntryIndex);

            // The leader's next AppendEntries re-derives the commit index where the log keeps none.
            await reopened.HeartbeatAsync(SnapshotIndex + 5);
            await reopened.CommitAsync(SnapshotIndex + 5);
            Assert.Equal(expected, reopened.Digest());
            await reopened.AppendAsync(SnapshotIndex + 6, term: 3, key: "after-restart", value: 1);
            Assert.Equal(SnapshotIndex + 6, reopened.Log.LastEntryIndex);
        }
    }
}
