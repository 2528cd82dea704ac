using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// What happens to a node's data directory across damage: refuse wrong data, survive leftovers. The damaged-log tests
/// edit DotNext's files (<c>wal/</c>) and pin that engine; RaftKV's log has its own (tests/Node.Tests/Log).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DurabilityTests
{
    // A corrupted record in the middle of the log stops the node at start instead of serving wrong data.
    [Fact]
    public async Task CorruptedWalRecord_NodeRefusesToStart()
    {
        await using var cluster = await TestCluster.StartAsync(1, new() { ["Log"] = "DotNext" });
        var node = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(node.RespPort))
        {
            for (var i = 0; i < 20; i++)
                Assert.Equal("OK", (await client.SendAsync("SET", $"k{i}", $"payload-{i:D4}")).Text());
        }

        await cluster.StopNodeAsync(0);
        var dataFile = Directory.EnumerateFiles(Path.Combine(node.DataDirectory, "wal", "data")).Single();
        var bytes = await File.ReadAllBytesAsync(dataFile);
        var at = bytes.AsSpan().IndexOf("payload-0010"u8);
        Assert.True(at > 0, "the entry was not found in the log's data file");
        bytes[at + 9] ^= 0x5A;
        await File.WriteAllBytesAsync(dataFile, bytes);

        await Assert.ThrowsAnyAsync<DotNext.IO.Log.IntegrityException>(() => cluster.StartNodeAsync(0));
    }

    // A power cut after the log's last records reached the data file but before its checkpoint did, with the very last
    // record torn: the node starts, every record up to the checkpoint is intact, the ones after it are dropped.
    [Fact]
    public async Task TornWalTail_AfterTheCheckpoint_IsDropped_EarlierRecordsIntact()
    {
        await using var cluster = await TestCluster.StartAsync(1, new() { ["Log"] = "DotNext" });
        var node = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(node.RespPort))
        {
            for (var i = 0; i < 10; i++)
                Assert.Equal("OK", (await client.SendAsync("SET", $"k{i}", $"payload-{i:D4}")).Text());
        }

        await cluster.StopNodeAsync(0);
        var wal = Path.Combine(node.DataDirectory, "wal");
        var checkpoint = Path.Combine(wal, "checkpoint");
        var checkpointAtTen = await File.ReadAllBytesAsync(checkpoint);

        await cluster.StartNodeAsync(0);
        await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(node.RespPort))
        {
            for (var i = 10; i < 15; i++)
                Assert.Equal("OK", (await client.SendAsync("SET", $"k{i}", $"payload-{i:D4}")).Text());
        }

        await cluster.StopNodeAsync(0);

        // The checkpoint as it was before the last five writes, and the last write's record cut off mid-payload.
        await File.WriteAllBytesAsync(checkpoint, checkpointAtTen);
        var dataFile = Directory.EnumerateFiles(Path.Combine(wal, "data")).Single();
        var bytes = await File.ReadAllBytesAsync(dataFile);
        var at = bytes.AsSpan().IndexOf("payload-0014"u8);
        Assert.True(at > 0, "the last entry was not found in the log's data file");
        bytes.AsSpan(at + 4).Clear();
        await File.WriteAllBytesAsync(dataFile, bytes);

        await cluster.StartNodeAsync(0);
        await cluster.WaitForLeaderAsync();
        await using var reader = await RespTestClient.ConnectAsync(node.RespPort);
        for (var i = 0; i < 10; i++)
            Assert.Equal($"payload-{i:D4}", (await reader.SendAsync("GET", $"k{i}")).Text());
        for (var i = 10; i < 15; i++)
            Assert.Null((await reader.SendAsync("GET", $"k{i}")).Text());
        Assert.Equal("OK", (await reader.SendAsync("SET", "after", "restart")).Text());
    }

    // A failed InstallSnapshot leaves a truncated file under a valid name; the node sets it aside and starts from
    // its own snapshot and log.
    [Fact]
    public async Task TruncatedNewerSnapshotFile_IsQuarantined_NodeStartsWithItsData()
    {
        await using var cluster = await TestCluster.StartAsync(1, new() { ["SnapshotIntervalEntries"] = "10" });
        var node = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(node.RespPort))
        {
            for (var i = 0; i < 35; i++)
                Assert.Equal("OK", (await client.SendAsync("SET", $"k{i}", $"v{i}")).Text());
        }

        await cluster.StopNodeAsync(0);
        var snapshots = Path.Combine(node.DataDirectory, "snapshots");
        var good = Directory.EnumerateFiles(snapshots).Select(Path.GetFileName).Single(static f => f!.Contains('-'))!;
        var goodBytes = await File.ReadAllBytesAsync(Path.Combine(snapshots, good));
        await File.WriteAllBytesAsync(Path.Combine(snapshots, "100000-9"), goodBytes.AsSpan(0, goodBytes.Length / 2).ToArray());

        await cluster.StartNodeAsync(0);
        await cluster.WaitForLeaderAsync();
        await using var reader = await RespTestClient.ConnectAsync(node.RespPort);
        for (var i = 0; i < 35; i++)
            Assert.Equal($"v{i}", (await reader.SendAsync("GET", $"k{i}")).Text());
        Assert.False(File.Exists(Path.Combine(snapshots, "100000-9")));
        Assert.Single(Directory.EnumerateFiles(Path.Combine(snapshots, "quarantine")));
    }

    // RAFTKV.SNAPSHOT makes the leader snapshot now, whatever the interval, and a restart starts from it.
    [Fact]
    public async Task SnapshotCommand_SnapshotsNow_RestartRestoresFromIt()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(node.RespPort))
        {
            for (var i = 0; i < 5; i++)
                Assert.Equal("OK", (await client.SendAsync("SET", $"s{i}", $"v{i}")).Text());
            Assert.Equal("Background snapshot started", (await client.SendAsync("RAFTKV.SNAPSHOT")).Text());
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (node.Raft.StateMachine.LastSnapshotMilliseconds < 0 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.True(node.Raft.StateMachine.SnapshotIndex > 0);

        await cluster.StopNodeAsync(0);
        await cluster.StartNodeAsync(0);
        await cluster.WaitForLeaderAsync();
        Assert.Equal(1, node.Raft.StateMachine.RestoreCount);
        await using var reader = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("v4", (await reader.SendAsync("GET", "s4")).Text());
    }
}
