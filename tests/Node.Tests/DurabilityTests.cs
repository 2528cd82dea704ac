using RaftKV.Node.Log;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// What happens to a node's data directory across damage: refuse wrong data, survive leftovers. The damaged-log tests
/// edit RaftKV's log files (<c>log/*.seg</c>) of a stopped node; the log's own recovery rules are tested in
/// tests/Node.Tests/Log.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DurabilityTests
{
    // A corrupted record in the middle of the log stops the node at start instead of serving wrong data.
    [Fact]
    public async Task CorruptedLogRecord_FollowedByValidOnes_NodeRefusesToStart()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(node.RespPort))
        {
            for (var i = 0; i < 20; i++)
                Assert.Equal("OK", (await client.SendAsync("SET", $"k{i}", $"payload-{i:D4}")).Text());
        }

        await cluster.StopNodeAsync(0);
        var (segment, bytes, at) = await FindAsync(node, "payload-0010"u8.ToArray());
        bytes[at + 9] ^= 0x5A;
        await File.WriteAllBytesAsync(segment, bytes);

        await Assert.ThrowsAnyAsync<LogCorruptedException>(() => cluster.StartNodeAsync(0));
    }

    // A power cut in the middle of the last append: its record is torn, nothing after it. The node starts, drops the torn
    // record (never acknowledged: an append is acknowledged only after its fdatasync) and keeps every earlier one.
    [Fact]
    public async Task TornLastRecord_IsDropped_EarlierRecordsIntact()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(node.RespPort))
        {
            for (var i = 0; i < 15; i++)
                Assert.Equal("OK", (await client.SendAsync("SET", $"k{i}", $"payload-{i:D4}")).Text());
        }

        await cluster.StopNodeAsync(0);

        // The last write's record cut off mid-payload: its bytes from there to the end of the file are gone.
        var (segment, bytes, at) = await FindAsync(node, "payload-0014"u8.ToArray());
        bytes.AsSpan(at + 4).Clear();
        await File.WriteAllBytesAsync(segment, bytes);

        await cluster.StartNodeAsync(0);
        await cluster.WaitForLeaderAsync();
        await using var reader = await RespTestClient.ConnectAsync(node.RespPort);
        for (var i = 0; i < 14; i++)
            Assert.Equal($"payload-{i:D4}", (await reader.SendAsync("GET", $"k{i}")).Text());
        Assert.Null((await reader.SendAsync("GET", "k14")).Text());
        Assert.Equal("OK", (await reader.SendAsync("SET", "after", "restart")).Text());
    }

    // The segment file of the stopped node's log that holds these bytes, its contents and where they are.
    private static async Task<(string Segment, byte[] Bytes, int At)> FindAsync(TestNode node, byte[] needle)
    {
        foreach (var segment in Directory.EnumerateFiles(Path.Combine(node.DataDirectory, "log"), "*.seg"))
        {
            var bytes = await File.ReadAllBytesAsync(segment);
            var at = bytes.AsSpan().IndexOf(needle);
            if (at > 0)
                return (segment, bytes, at);
        }

        throw new Xunit.Sdk.XunitException("the entry was not found in the log's segment files");
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
        // The newest snapshot (an older one may still wait for the log's compaction to reclaim it).
        var good = Directory.EnumerateFiles(snapshots).Select(static f => Path.GetFileName(f)).Where(static f => f.Contains('-'))
            .MaxBy(static f => long.Parse(f[..f.IndexOf('-')], System.Globalization.CultureInfo.InvariantCulture))!;
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
