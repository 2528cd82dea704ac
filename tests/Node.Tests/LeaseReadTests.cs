using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Linearizable reads under a leader lease (Raft thesis §6.4.1): the leader answers a read without a replication
/// round while a majority acknowledged a round it sent less than a lease ago, and the followers that did refuse to
/// vote for one election timeout after it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LeaseReadTests
{
    [Fact]
    public async Task ReadsOnTheLeader_UnderTheLease_NeedNoRound_AndSeeTheLastWrite()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        var (leaseBefore, roundBefore) = leader.Raft.ReadCounts;
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal("OK", await client.SendRetryingAsync("SET", "k", $"v{i}"));
            Assert.Equal($"v{i}", (await client.SendAsync("GET", "k")).Text());
        }

        var (leaseAfter, roundAfter) = leader.Raft.ReadCounts;

        // Heartbeats every 500 ms renew a 666 ms lease (1000 ms elections / 1.5): a read can miss it only when a
        // round is late on a loaded machine, and then it takes a round instead.
        Assert.True(leaseAfter - leaseBefore >= 40, $"lease reads {leaseAfter - leaseBefore}, round reads {roundAfter - roundBefore}");
        var info = (await client.SendAsync("INFO", "raft")).Text()!;
        Assert.Contains("raft_lease_ms:666", info);
    }

    [Fact]
    public async Task LeaseOff_EveryReadTakesARound()
    {
        await using var cluster = await TestCluster.StartAsync(3, new() { ["LeaderLease"] = "false" });
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        Assert.Equal("OK", await client.SendRetryingAsync("SET", "k", "v"));
        for (var i = 0; i < 10; i++)
            Assert.Equal("v", (await client.SendAsync("GET", "k")).Text());

        var (lease, round) = leader.Raft.ReadCounts;
        Assert.Equal(0, lease);
        Assert.True(round >= 10, $"round reads {round}");
    }

    // An idle leader sends no extra round for its lease: the first read takes one (or renews it in the background),
    // and the lease then holds for the reads after it.
    [Fact]
    public async Task IdleLeader_FirstReadRenewsTheLease_TheNextOnesUseIt()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "k", "v"));
        await Task.Delay(leader.Raft.LeaseDuration * 2);

        var (leaseBefore, roundBefore) = leader.Raft.ReadCounts;
        for (var i = 0; i < 20; i++)
            Assert.Equal("v", (await client.SendAsync("GET", "k")).Text());
        var (leaseAfter, roundAfter) = leader.Raft.ReadCounts;
        Assert.True(roundAfter - roundBefore >= 1, "the first read after an idle lease took no round");
        Assert.True(leaseAfter - leaseBefore >= 10, $"lease reads {leaseAfter - leaseBefore}, round reads {roundAfter - roundBefore}");
    }

    // A leader that no majority acknowledges any more (here: both followers stopped) lets its lease run out and stops
    // answering reads from its own state: it cannot know whether another leader took writes meanwhile.
    [Fact]
    public async Task LeaderWithoutAMajority_StopsAnsweringReads_OnceTheLeaseRunsOut()
    {
        await using var cluster = await TestCluster.StartAsync(3, new() { ["CommandTimeoutMs"] = "1500" });
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "k", "v"));
        Assert.Equal("v", (await client.SendAsync("GET", "k")).Text());
        // Heartbeats renew the lease; on a loaded machine one can be late for a moment.
        for (var i = 0; i < 100 && !leader.Raft.HoldsLease(); i++)
            await Task.Delay(50);
        Assert.True(leader.Raft.HoldsLease());

        foreach (var node in cluster.Nodes.Where(n => n != leader))
            await cluster.StopNodeAsync(node.Index);
        await Task.Delay(leader.Raft.LeaseDuration + TimeSpan.FromMilliseconds(200));

        Assert.False(leader.Raft.HoldsLease());
        var reply = (await client.SendAsync("GET", "k")).Text();
        Assert.NotEqual("v", reply);
        Assert.StartsWith("-", reply);
    }

    // A node that restarts must not vote at once: before the crash it may have acknowledged the round that gave the
    // leader its lease, and voting for another candidate within that lease would let two leaders answer reads.
    [Fact]
    public async Task RestartedNode_CountsAsHavingJustHeardALeader()
    {
        // Elections of 5-6 s, so a lease of 3.3 s: the rest of a node's start after its log opened (when it counts as
        // having heard a leader) took longer than the 666 ms lease of the default test timeouts on a loaded machine.
        await using var cluster = await TestCluster.StartAsync(3, new()
        {
            ["ElectionTimeoutMinMs"] = "5000",
            ["ElectionTimeoutMaxMs"] = "6000",
            ["RaftRequestTimeoutMs"] = "2000",
        });
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);

        // Stopped past a lease: what it heard before the stop is too old to count.
        await cluster.StopNodeAsync(follower.Index);
        await Task.Delay(leader.Raft.LeaseDuration + TimeSpan.FromSeconds(0.5));
        await cluster.StartNodeAsync(follower.Index);

        // Within the lease of a moment ago: DotNext's own record starts empty (refuses no vote), so the log refuses.
        Assert.True(follower.Raft.SinceLeaderContact < leader.Raft.LeaseDuration,
            $"a node that just started last heard a leader {follower.Raft.SinceLeaderContact} ago");
        var candidate = new DotNext.Net.Cluster.ClusterMemberId(Random.Shared);
        Assert.False(((DotNext.Net.Cluster.Consensus.Raft.IPersistentState)follower.Raft.Log).IsVotedFor(in candidate),
            "a node that just started granted a vote within the lease its acknowledgement may have given a leader");
    }
}
