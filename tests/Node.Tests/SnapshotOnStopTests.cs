using RaftKV.Node.Raft;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// A graceful stop (SIGTERM, SHUTDOWN, the host's stop) snapshots the applied state when the log's tail since the last
/// snapshot is worth it, so the restart loads the state instead of applying the tail again: after a whole-cluster
/// restart, the first write waited about 3 s for every node to apply 16k entries of SETs again (2-core machine).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SnapshotOnStopTests
{
    // No periodic snapshot during a test: only the stop can write one.
    private static Dictionary<string, string> Settings(bool snapshotOnStop = true) => new()
    {
        ["SnapshotIntervalEntries"] = "1000000000",
        ["SnapshotIntervalBytes"] = "1000000000",
        ["SnapshotOnStop"] = snapshotOnStop ? "true" : "false",
    };

    [Fact]
    public async Task GracefulStop_OfAFollowerWithALargeTail_SnapshotsItsAppliedState_AndTheRestartLoadsIt()
    {
        await using var cluster = await TestCluster.StartAsync(3, Settings());
        var follower = await WriteAsync(cluster, keys: 100, valueBytes: 2048);

        // A follower gets no entry after the writes: the snapshot must begin without one.
        var applied = follower.Raft.StateMachine.AppliedIndex;
        Assert.Null(follower.Raft.StateMachine.PublishedSnapshot);
        await cluster.StopNodeAsync(follower.Index);
        await cluster.StartNodeAsync(follower.Index);

        var restored = follower.Raft.StateMachine.PublishedSnapshot;
        Assert.NotNull(restored);
        Assert.Equal(applied, restored.Index);
        Assert.Equal(1, follower.Raft.StateMachine.RestoreCount);
        await cluster.WaitForConvergenceAsync();
        Assert.Single((await cluster.DigestsAsync()).Distinct());
    }

    [Fact]
    public async Task GracefulStop_OfTheLeader_SnapshotsItsAppliedState()
    {
        await using var cluster = await TestCluster.StartAsync(3, Settings());
        await WriteAsync(cluster, keys: 100, valueBytes: 2048);
        var leader = await cluster.WaitForLeaderAsync();
        var applied = leader.Raft.StateMachine.AppliedIndex;

        await cluster.StopNodeAsync(leader.Index);
        await cluster.StartNodeAsync(leader.Index);

        // Entries committed by a new leader meanwhile come after the snapshot, from the log or the leader.
        var restored = leader.Raft.StateMachine.PublishedSnapshot;
        Assert.NotNull(restored);
        Assert.Equal(applied, restored.Index);
        await cluster.WaitForConvergenceAsync();
        Assert.Single((await cluster.DigestsAsync()).Distinct());
    }

    [Fact]
    public async Task GracefulStop_WithASmallTail_WritesNoSnapshot()
    {
        await using var cluster = await TestCluster.StartAsync(3, Settings());
        var follower = await WriteAsync(cluster, keys: 20, valueBytes: 100);

        await cluster.StopNodeAsync(follower.Index);
        await cluster.StartNodeAsync(follower.Index);

        Assert.Null(follower.Raft.StateMachine.PublishedSnapshot);
        Assert.Equal(0, follower.Raft.StateMachine.RestoreCount);
    }

    [Fact]
    public async Task GracefulStop_WithSnapshotOnStopOff_WritesNoSnapshot()
    {
        await using var cluster = await TestCluster.StartAsync(3, Settings(snapshotOnStop: false));
        var follower = await WriteAsync(cluster, keys: 100, valueBytes: 2048);

        await cluster.StopNodeAsync(follower.Index);
        await cluster.StartNodeAsync(follower.Index);

        Assert.Null(follower.Raft.StateMachine.PublishedSnapshot);
    }

    // SHUTDOWN NOSAVE skips it, as Redis skips the save its save points would make.
    [Fact]
    public async Task ShutdownNosave_WritesNoSnapshot()
    {
        await using var cluster = await TestCluster.StartAsync(3, Settings());
        var follower = await WriteAsync(cluster, keys: 100, valueBytes: 2048);

        await using (var client = await RespTestClient.ConnectAsync(follower.RespPort))
        {
            await client.SendRawAsync("SHUTDOWN NOSAVE\r\n"u8.ToArray());
            Assert.True(await client.IsClosedByServerAsync());
        }

        await cluster.StopNodeAsync(follower.Index);
        await cluster.StartNodeAsync(follower.Index);
        Assert.Null(follower.Raft.StateMachine.PublishedSnapshot);
    }

    // SETs through whichever node leads (again after a leader change), then every node applied them; returns a follower.
    private static async Task<TestNode> WriteAsync(TestCluster cluster, int keys, int valueBytes)
    {
        var value = new string('v', valueBytes);
        for (var i = 0; i < keys; i++)
        {
            await using var client = await RespTestClient.ConnectAsync((await cluster.WaitForLeaderAsync()).RespPort);
            for (; i < keys; i++)
            {
                var reply = (await client.SendAsync("SET", $"k{i}", value)).Text();
                if (reply is not null && reply.StartsWith("-CLUSTERDOWN", StringComparison.Ordinal))
                {
                    i--;
                    break;
                }

                Assert.Equal("OK", reply);
            }
        }

        await cluster.WaitForConvergenceAsync();
        var leader = await cluster.WaitForLeaderAsync();
        return cluster.Nodes.First(n => n != leader);
    }
}
