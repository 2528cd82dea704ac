using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// Every node answers the Sentinel commands clients use to find the primary (the Raft leader, under the service name
/// "raftkv"), reports followers by their RESP address, and announces a leader change to its own subscribers.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SentinelTests
{
    [Fact]
    public async Task SentinelGetMasterAddrByName_OnEveryNode_ReturnsTheLeadersRespAddress()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        foreach (var node in cluster.Nodes)
        {
            await using var client = await RespTestClient.ConnectAsync(node.RespPort);
            var reply = Assert.IsType<ArrayReply>(await client.SendAsync("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "raftkv"));
            Assert.Equal(["127.0.0.1", leader.RespPort.ToString()], reply.Items.Select(static i => i.Text()));

            // Sentinel's answer for a master it does not monitor: a null array.
            var unknown = await client.SendAsync("SENTINEL", "get-master-addr-by-name", "other");
            Assert.Equal(new NullReply(NullKind.Array).ToString(), unknown.ToString());
            Assert.Equal("-ERR No such master with that name", (await client.SendAsync("SENTINEL", "MASTER", "other")).Text());
            Assert.StartsWith("-ERR unknown subcommand or wrong number of arguments for 'MASTER'",
                (await client.SendAsync("SENTINEL", "MASTER")).Text());
        }
    }

    [Fact]
    public async Task SentinelMastersReplicasSentinels_OnAFollower_DescribeTheLeaderAndTheOtherMembersByRespAddress()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n.Index != leader.Index);
        await using var client = await RespTestClient.ConnectAsync(follower.RespPort);

        // The other follower's RESP address is learnt in the background: wait until it is known.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        Dictionary<string, string?> master;
        do
        {
            var masters = Assert.IsType<ArrayReply>(await client.SendAsync("SENTINEL", "MASTERS"));
            master = Fields(Assert.Single(masters.Items));
            if (master["num-slaves"] == "2")
                break;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal("raftkv", master["name"]);
        Assert.Equal("127.0.0.1", master["ip"]);
        Assert.Equal(leader.RespPort.ToString(), master["port"]);
        Assert.Equal("master", master["flags"]);
        Assert.Equal("2", master["num-slaves"]);
        Assert.Equal("2", master["num-other-sentinels"]);
        Assert.Equal("2", master["quorum"]);
        Assert.Equal(master, Fields(await client.SendAsync("SENTINEL", "MASTER", "raftkv")));

        var replicas = Assert.IsType<ArrayReply>(await client.SendAsync("SENTINEL", "REPLICAS", "raftkv")).Items.Select(Fields).ToList();
        var followerPorts = cluster.Nodes.Where(n => n.Index != leader.Index).Select(static n => n.RespPort.ToString()).Order().ToList();
        Assert.Equal(followerPorts, replicas.Select(static r => r["port"]).Order());
        Assert.All(replicas, r => Assert.Equal("slave", r["flags"]));
        Assert.All(replicas, r => Assert.Equal(leader.RespPort.ToString(), r["master-port"]));
        Assert.All(replicas, r => Assert.Equal("ok", r["master-link-status"]));
        var slaves = Assert.IsType<ArrayReply>(await client.SendAsync("SENTINEL", "SLAVES", "raftkv"));
        Assert.Equal(replicas.Count, slaves.Items.Count);

        var sentinels = Assert.IsType<ArrayReply>(await client.SendAsync("SENTINEL", "SENTINELS", "raftkv")).Items.Select(Fields).ToList();
        var otherPorts = cluster.Nodes.Where(n => n.Index != follower.Index).Select(static n => n.RespPort.ToString()).Order().ToList();
        Assert.Equal(otherPorts, sentinels.Select(static s => s["port"]).Order());
        Assert.All(sentinels, s => Assert.Equal("sentinel", s["flags"]));
    }

    [Fact]
    public async Task SentinelMasters_UnderResp3_IsAMapPerMaster()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        await client.SendAsync("HELLO", "3");
        var masters = Assert.IsType<ArrayReply>(await client.SendAsync("SENTINEL", "MASTERS"));
        var master = Assert.IsType<MapReply>(Assert.Single(masters.Items));
        Assert.Contains(master.Entries, e => e.Key.Text() == "flags" && e.Value.Text() == "master");
        Assert.Equal("0", Fields(master)["num-slaves"]);
    }

    [Fact]
    public async Task InfoReplicationAndRole_OnTheLeader_ListFollowersByTheirRespPort()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var followerPorts = cluster.Nodes.Where(n => n.Index != leader.Index).Select(static n => n.RespPort.ToString()).Order().ToList();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        // Followers' RESP addresses are learnt in the background: wait until both are listed.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<string> infoPorts = [];
        while (DateTime.UtcNow < deadline)
        {
            var info = (await client.SendAsync("INFO", "replication")).Text()!;
            infoPorts = info.Split("\r\n").Where(static l => l.StartsWith("slave", StringComparison.Ordinal) && l.Contains("ip=", StringComparison.Ordinal))
                .Select(static l => l.Split(',').Single(static p => p.StartsWith("port=", StringComparison.Ordinal))["port=".Length..])
                .Order().ToList();
            if (infoPorts.Count == 2)
                break;
            await Task.Delay(100);
        }

        Assert.Equal(followerPorts, infoPorts);
        var role = Assert.IsType<ArrayReply>(await client.SendAsync("ROLE"));
        Assert.Equal("master", role.Items[0].Text());
        var replicas = Assert.IsType<ArrayReply>(role.Items[2]).Items.Cast<ArrayReply>();
        Assert.Equal(followerPorts, replicas.Select(static r => r.Items[1].Text()).Order());
    }

    [Fact]
    public async Task LeaderChange_IsAnnouncedOnSwitchMasterAndBooksleeveChannels_ToSubscribersOfAFollower()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n.Index != leader.Index);
        await using var subscriber = await RespTestClient.ConnectAsync(follower.RespPort);
        await subscriber.SendAsync("SUBSCRIBE", "+switch-master");
        await subscriber.SendAsync("SUBSCRIBE", "__Booksleeve_MasterChanged");
        // The follower announces changes from the leader it has resolved; give its announcer a moment to record it.
        await Task.Delay(1000);

        await cluster.StopNodeAsync(leader.Index);
        var newLeader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));

        // The hint for the first leader is repeated for a few seconds after the cluster starts: skip to the switch.
        var switchMaster = await NextMessageAsync(subscriber, "+switch-master");
        Assert.Equal("message", switchMaster.Items[0].Text());
        Assert.Equal($"raftkv 127.0.0.1 {leader.RespPort} 127.0.0.1 {newLeader.RespPort}", switchMaster.Items[2].Text());
        var changed = await NextMessageAsync(subscriber, "__Booksleeve_MasterChanged");
        Assert.Equal($"127.0.0.1:{newLeader.RespPort}", changed.Items[2].Text());
    }

    // Regression (Redis's unit/pubsub, "PSUBSCRIBE *"): the announcements reached pattern subscribers too, so a client
    // with PSUBSCRIBE * got __Booksleeve_MasterChanged messages nobody published. A data node in Redis sends none.
    [Fact]
    public async Task LeaderChange_IsNotAnnouncedToPatternSubscribers()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n.Index != leader.Index);
        await using var subscriber = await RespTestClient.ConnectAsync(follower.RespPort);
        var subscribed = Assert.IsType<ArrayReply>(await subscriber.SendAsync("PSUBSCRIBE", "*"));
        Assert.Equal("psubscribe", subscribed.Items[0].Text());

        await cluster.StopNodeAsync(leader.Index);
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(2000);
        await using (var publisher = await RespTestClient.ConnectAsync(follower.RespPort))
            Assert.StartsWith(":", (await publisher.SendAsync("PUBLISH", "after-failover", "hello")).ToString(), StringComparison.Ordinal);

        var message = Assert.IsType<ArrayReply>(await subscriber.ReadReplyAsync());
        Assert.Equal(["pmessage", "*", "after-failover", "hello"], message.Items.Select(static i => i.Text()));
    }

    // Reads messages until one on the channel (each read waits at most 30 s, and 20 messages at most are skipped).
    private static async Task<ArrayReply> NextMessageAsync(RespTestClient subscriber, string channel)
    {
        for (var i = 0; i < 20; i++)
        {
            var message = Assert.IsType<ArrayReply>(await subscriber.ReadReplyAsync());
            if (message.Items[1].Text() == channel)
                return message;
        }

        throw new InvalidOperationException($"no message on {channel}");
    }

    private static Dictionary<string, string?> Fields(Reply reply) => reply switch
    {
        ArrayReply array => array.Items.Chunk(2).ToDictionary(static p => p[0].Text()!, static p => p[1].Text()),
        MapReply map => map.Entries.ToDictionary(static e => e.Key.Text()!, static e => e.Value.Text()),
        _ => throw new InvalidOperationException($"not a field list: {reply}"),
    };
}
