using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Chaos bug 4: a follower that receives InstallSnapshot must keep its log after the snapshot only when the log holds
/// the snapshot's last entry (same index and term). DotNext 6.12 kept any tail, so a deposed leader's abandoned entries
/// were later applied on top of the new leader's snapshot and the replicas diverged. RaftKV's log decides keep or drop
/// in its install (RaftLog.InstallSnapshotAsync).
/// </summary>
public sealed class SnapshotInstallTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "raftkv-install-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Install_DropsTailFromAnotherTerm_AndARestartDoesNotBringItBack()
    {
        await using (var node = await WalNode.OpenAsync(_directory))
        {
            // A deposed leader of term 4: entries 1-10, of which only 1-2 were committed.
            for (var index = 1; index <= 10; index++)
                await node.AppendAsync(index, term: 4, key: "stale", value: index);
            await node.CommitAsync(2);

            // The new leader's snapshot ends at index 6 with an entry of term 5: the follower's 6 (term 4) conflicts.
            await node.InstallSnapshotAsync(index: 6, term: 5, key: "snapshot");

            Assert.Equal(6, node.Log.LastEntryIndex);
            Assert.Equal(1, node.Log.DroppedTails);

            // The leader's next entry lands at 7 and is the only one applied after the snapshot.
            await node.AppendAsync(7, term: 5, key: "fresh", value: 7);
            await node.CommitAsync(7);
            Assert.Equal(WalNode.DigestOf(("snapshot", "1"), ("fresh", "7")), node.Digest());
        }

        await using (var reopened = await WalNode.OpenAsync(_directory))
        {
            Assert.Equal(7, reopened.Log.LastEntryIndex);

            // RaftKV's log keeps no commit index: the leader's next AppendEntries (entry 7 again) brings it back.
            await reopened.AppendAsync(7, term: 5, key: "fresh", value: 7);
            await reopened.CommitAsync(7);
            Assert.Equal(WalNode.DigestOf(("snapshot", "1"), ("fresh", "7")), reopened.Digest());
        }
    }

    [Fact]
    public async Task Install_KeepsTailAfterTheSnapshotsOwnEntry()
    {
        await using var node = await WalNode.OpenAsync(_directory);
        for (var index = 1; index <= 10; index++)
            await node.AppendAsync(index, term: index <= 5 ? 4 : 5, key: "k" + index, value: index);
        await node.CommitAsync(2);

        // The follower holds the snapshot's last entry (6, term 5): entries 7-10 may have been counted for a commit.
        await node.InstallSnapshotAsync(index: 6, term: 5, key: "snapshot");

        Assert.Equal(10, node.Log.LastEntryIndex);
        Assert.Equal(0, node.Log.DroppedTails);
    }
}
