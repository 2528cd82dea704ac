using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Three in-process nodes over real TCP with real write-ahead logs. Each test states the Raft property it checks
/// (section numbers from the Raft paper, "In Search of an Understandable Consensus Algorithm", extended version).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests
{
    // §5.2: a cluster with a majority alive elects exactly one leader, and every node learns who it is.
    [Fact]
    public async Task ThreeNodes_ElectOneLeader_EveryNodeAgrees()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();

        Assert.Single(cluster.Nodes, static n => n.IsLeader);
        foreach (var node in cluster.Nodes)
        {
            await using var client = await RespTestClient.ConnectAsync(node.RespPort);
            var info = (await client.SendAsync("INFO", "replication")).Text()!;
            Assert.Contains(node == leader ? "role:master" : "role:slave", info);
            if (node != leader)
                Assert.Contains($"master_port:{leader.RespPort}", info);
        }
    }

    // A follower relays writes to the leader; the reply is the one the leader's apply produced.
    [Fact]
    public async Task WriteSentToFollower_IsForwarded_AndReadableEverywhere()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);

        await using (var client = await RespTestClient.ConnectAsync(follower.RespPort))
        {
            Assert.Equal("OK", await client.SendRetryingAsync("SET", "a", "1"));
            Assert.Equal("2", (await client.SendAsync("INCR", "a")).Text());
            Assert.Equal("-ERR value is not an integer or out of range", (await client.SendAsync("INCRBY", "a", "x")).Text());
        }

        foreach (var node in cluster.Nodes)
        {
            await using var client = await RespTestClient.ConnectAsync(node.RespPort);
            Assert.Equal("2", (await client.SendAsync("GET", "a")).Text());
        }
    }

    // Redirect mode: followers answer MOVED with the leader's RESP endpoint instead of relaying.
    [Fact]
    public async Task RedirectMode_FollowerAnswersMoved()
    {
        await using var cluster = await TestCluster.StartAsync(3, new() { ["FollowerMode"] = "Redirect" });
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);

        await using var client = await RespTestClient.ConnectAsync(follower.RespPort);
        Assert.Equal($"-MOVED 0 127.0.0.1:{leader.RespPort}", (await client.SendAsync("SET", "k", "v")).Text());
    }

    // §5.4 (leader completeness): every acknowledged write survives the loss of the leader.
    [Fact]
    public async Task LeaderStopped_NewLeaderHasEveryAcknowledgedWrite()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            for (var i = 0; i < 50; i++)
                Assert.Equal("OK", await client.SendRetryingAsync("SET", $"key:{i}", $"value:{i}"));
        }

        await cluster.StopNodeAsync(leader.Index);
        var next = await cluster.WaitForLeaderAsync();
        Assert.NotEqual(leader.Index, next.Index);

        await using var reader = await RespTestClient.ConnectAsync(next.RespPort);
        for (var i = 0; i < 50; i++)
            Assert.Equal($"value:{i}", (await reader.SendAsync("GET", $"key:{i}")).Text());
        Assert.Equal("OK", await reader.SendRetryingAsync("SET", "after", "failover"));
    }

    // Durability of acknowledgements: followers flush AppendEntries batches before acknowledging them
    // (DotNext 6.12's own log acknowledged before its background flush: chaos bug 3).
    [Fact]
    public async Task Followers_FlushAppendedEntries_BeforeAcknowledging()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            for (var i = 0; i < 20; i++)
                Assert.Equal("OK", await client.SendRetryingAsync("SET", $"d{i}", "v"));
        }

        foreach (var follower in cluster.Nodes.Where(n => n != leader))
            Assert.True(follower.Raft.Log.FlushedAppends > 0, $"{follower} acknowledged appends without flushing them");
    }

    // Persistence: a cluster stopped entirely restarts from its write-ahead logs with every committed entry.
    [Fact]
    public async Task WholeClusterRestart_RecoversFromWal()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            for (var i = 0; i < 30; i++)
                Assert.Equal("OK", await client.SendRetryingAsync("SET", $"k{i}", $"v{i}"));
            Assert.Equal("7", (await client.SendAsync("APPEND", "k0", "-tail")).Text());
        }

        for (var i = 0; i < 3; i++)
            await cluster.StopNodeAsync(i);
        for (var i = 0; i < 3; i++)
            await cluster.StartNodeAsync(i);

        var next = await cluster.WaitForLeaderAsync();
        await using var reader = await RespTestClient.ConnectAsync(next.RespPort);
        Assert.Equal("v0-tail", (await reader.SendAsync("GET", "k0")).Text());
        for (var i = 1; i < 30; i++)
            Assert.Equal($"v{i}", (await reader.SendAsync("GET", $"k{i}")).Text());
    }

    // Chaos bug 2: DotNext sends a lagging follower its whole backlog in one AppendEntries, which must finish (with the
    // follower's fsync) within the Raft request timeout. Bounded batches let it catch up over several requests.
    [Fact]
    public async Task LaggingFollower_WithABacklogLargerThanOneRequest_CatchesUpFromTheLog()
    {
        await using var cluster = await TestCluster.StartAsync(3, new()
        {
            ["SnapshotIntervalEntries"] = "1000000",
            ["SnapshotIntervalBytes"] = "1000000000",
            ["RaftRequestTimeoutMs"] = "150",
            ["ReplicationBatchBytes"] = "262144",
        });
        var leader = await cluster.WaitForLeaderAsync();
        var lagging = cluster.Nodes.First(n => n != leader);
        await cluster.StopNodeAsync(lagging.Index);

        // The 150 ms request timeout can cost the leader its office on a busy machine: a SET answered CLUSTERDOWN is sent
        // again to whichever node leads then (the same value, so a write applied twice changes nothing).
        var value = new string('x', 64 * 1024);
        for (var i = 0; i < 600; i++)
        {
            await using var client = await RespTestClient.ConnectAsync((await cluster.WaitForLeaderAsync()).RespPort);
            for (; i < 600; i++)
            {
                var reply = (await client.SendAsync("SET", $"big{i}", value + i)).Text();
                if (reply is not null && reply.StartsWith("-CLUSTERDOWN", StringComparison.Ordinal))
                {
                    i--;
                    break;
                }

                Assert.Equal("OK", reply);
            }
        }

        // About 39 MB behind: not sendable and fsync-able in one 150 ms request on this machine.
        await cluster.StartNodeAsync(lagging.Index);
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(0, lagging.Raft.StateMachine.RestoreCount);
        Assert.True(cluster.Nodes.Sum(node => node.Raft.Log.CutBatches) > 0, "the leader sent the backlog without cutting it into batches");
        Assert.Single((await cluster.DigestsAsync()).Distinct());
    }

    // §7 (log compaction): a follower that missed entries the leader has compacted catches up by InstallSnapshot,
    // and ends with the same state as the others.
    [Fact]
    public async Task LaggingFollower_CatchesUpBySnapshot_DigestsEqual()
    {
        await using var cluster = await TestCluster.StartAsync(3, new() { ["SnapshotIntervalEntries"] = "20" });
        var leader = await cluster.WaitForLeaderAsync();
        var lagging = cluster.Nodes.First(n => n != leader);
        await cluster.StopNodeAsync(lagging.Index);

        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            for (var i = 0; i < 300; i++)
                Assert.Equal("OK", await client.SendRetryingAsync("SET", $"s{i % 97}", $"v{i}"));
        }

        Assert.True(leader.Raft.StateMachine.SnapshotIndex > 0, "the leader took no snapshot");
        await cluster.StartNodeAsync(lagging.Index);
        await cluster.WaitForConvergenceAsync();

        Assert.True(lagging.Raft.StateMachine.RestoreCount > 0, "the follower caught up without installing a snapshot");
        var digests = await cluster.DigestsAsync();

        Assert.Single(digests.Distinct());
        Assert.NotEqual(new string('0', 40), digests[0]);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}
