using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>The real redis-cli against real node processes.</summary>
[Collection(ProcessCollection.Name)]
public sealed class RedisCliTests
{
    [Fact]
    public async Task SetOnFollower_AnswersOk_GetOnEveryNodeAnswersValue()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = cluster.Nodes.First(n => n != leader);

        Assert.Equal("OK", await RedisCli.RunAsync(follower.RespPort, "set", "a", "1"));
        foreach (var node in cluster.Nodes)
            Assert.Equal("1", await RedisCli.RunAsync(node.RespPort, "get", "a"));

        Assert.Equal("ERR unknown command 'x', with args beginning with: 'y' ", await RedisCli.RunAsync(leader.RespPort, "x", "y"));
        Assert.Equal("PONG", await RedisCli.RunAsync(follower.RespPort, "ping"));
        Assert.Contains("role:slave", await RedisCli.RunAsync(follower.RespPort, "info", "replication"));
        Assert.Contains("raft_term:", await RedisCli.RunAsync(follower.RespPort, "info", "raft"));
    }
}
