using RaftKV.Node.Configuration;
using RaftKV.Node.Log;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Nodes written with DotNext's log restarted with the default setting (<c>RaftKV:Log=Auto</c>): each carries its log
/// over to RaftKV's at start, a lone node and a cluster upgraded one node at a time under writes, and nothing
/// acknowledged is lost.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LogMigrationClusterTests
{
    [Fact]
    public async Task OneNode_WithASnapshot_RestartedWithAuto_RunsRaftKVsLog_WithEveryKey()
    {
        await using var cluster = await TestCluster.StartAsync(1, new() { ["Log"] = "DotNext", ["SnapshotIntervalEntries"] = "10" });
        var node = await cluster.WaitForLeaderAsync();
        var acknowledged = new Dictionary<string, string>();
        await using (var client = await RespTestClient.ConnectAsync(node.RespPort))
        {
            for (var i = 0; i < 45; i++)
            {
                Assert.Equal("OK", (await client.SendAsync("SET", $"k{i}", $"v{i}")).Text());
                acknowledged[$"k{i}"] = $"v{i}";
            }
        }

        await WaitAsync(() => node.Raft.StateMachine.SnapshotIndex > 0, "a snapshot");
        var snapshotIndex = node.Raft.StateMachine.SnapshotIndex;
        Assert.True(node.Raft.Log.LastEntryIndex > snapshotIndex, "entries after the snapshot");
        var term = TermOf(node);
        Assert.Equal(LogEngine.DotNext, node.Raft.Engine);
        await cluster.StopNodeAsync(0);

        cluster.Settings["Log"] = "Auto";
        await cluster.StartNodeAsync(0);
        node = await cluster.WaitForLeaderAsync();
        Assert.Equal(LogEngine.RaftKV, node.Raft.Engine);
        Assert.True(Directory.Exists(Path.Combine(node.DataDirectory, DotNextLogMigration.RetiredFolder)));
        Assert.False(Directory.Exists(Path.Combine(node.DataDirectory, DotNextLogMigration.SourceFolder)));
        Assert.True(TermOf(node) >= term, $"term {TermOf(node)} after {term}");
        await using var again = await RespTestClient.ConnectAsync(node.RespPort);
        foreach (var (key, value) in acknowledged)
            Assert.Equal(value, (await again.SendAsync("GET", key)).Text());
        Assert.Equal("OK", (await again.SendAsync("SET", "after", "upgrade")).Text());
    }

    [Fact]
    public async Task ThreeNodes_UpgradedOneAtATime_UnderWrites_LoseNoAcknowledgedWrite_DigestsEqual()
    {
        await using var cluster = await TestCluster.StartAsync(3, new() { ["Log"] = "DotNext", ["SnapshotIntervalEntries"] = "50" });
        await cluster.WaitForLeaderAsync();
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource();
        var writer = WriteUntilStoppedAsync(cluster, acknowledged, stop.Token);

        cluster.Settings["Log"] = "Auto";
        foreach (var node in cluster.Nodes)
        {
            var before = acknowledged.Count;
            await WaitAsync(() => acknowledged.Count >= before + 20, "writes before the restart");
            await cluster.StopNodeAsync(node.Index);
            await cluster.StartNodeAsync(node.Index);
            Assert.Equal(LogEngine.RaftKV, node.Raft.Engine);
            await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
            await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        }

        var last = acknowledged.Count;
        await WaitAsync(() => acknowledged.Count >= last + 20, "writes after the upgrade");
        await stop.CancelAsync();
        await writer;

        Assert.All(cluster.Nodes, n => Assert.Equal(LogEngine.RaftKV, n.Raft.Engine));
        Assert.All(cluster.Nodes, n => Assert.True(Directory.Exists(Path.Combine(n.DataDirectory, DotNextLogMigration.RetiredFolder))));
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        var digests = await cluster.DigestsAsync();
        Assert.Equal(3, digests.Count);
        Assert.All(digests, d => Assert.Equal(digests[0], d));

        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        foreach (var (key, value) in acknowledged)
            Assert.Equal(value, (await client.SendAsync("GET", key)).Text());
    }

    // SETs of fresh keys to whichever node leads, one at a time; only an OK counts as acknowledged. A failed or unknown
    // outcome (a node stopping, an election) is not retried: its key is simply not counted.
    private static async Task WriteUntilStoppedAsync(
        TestCluster cluster, System.Collections.Concurrent.ConcurrentDictionary<string, string> acknowledged, CancellationToken token)
    {
        await Task.Yield();
        for (var i = 0; !token.IsCancellationRequested; i++)
        {
            var key = $"w{i}";
            var value = $"value-{i}-{new string('x', 100)}";
            try
            {
                var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(5));
                await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
                if ((await client.SendAsync("SET", key, value)).Text() == "OK")
                    acknowledged[key] = value;
            }
            catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                await Task.Delay(50, CancellationToken.None);
            }
        }
    }

    private static long TermOf(TestNode node) => ((DotNext.Net.Cluster.Consensus.Raft.IPersistentState)node.Raft.Log).Term;

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }
}
