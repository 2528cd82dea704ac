using RaftKV.Integration.Tests.Infrastructure;
using StackExchange.Redis;

namespace RaftKV.Integration.Tests;

/// <summary>StackExchange.Redis 3.x against three real node processes, with default options, under RESP2 and RESP3.</summary>
[Collection(ProcessCollection.Name)]
public sealed class StackExchangeRedisTests
{
    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task ConnectsToAllThree_FindsTheLeader_WritesAndReads(RedisProtocol protocol)
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.ClientOptions(protocol));
        Assert.True(redis.IsConnected);

        var primary = redis.GetServer("127.0.0.1", leader.RespPort);
        Assert.False(primary.IsReplica);
        foreach (var follower in cluster.Nodes.Where(n => n != leader))
            Assert.True(redis.GetServer("127.0.0.1", follower.RespPort).IsReplica);

        var db = redis.GetDatabase();
        Assert.True(await db.StringSetAsync("greeting", "hello"));
        Assert.Equal("hello", (string?)await db.StringGetAsync("greeting"));
        Assert.Equal(5, await db.StringAppendAsync("n", "12345"));
        Assert.Equal(12346, await db.StringIncrementAsync("n"));
        Assert.Equal(2, await db.KeyDeleteAsync(["greeting", "n", "missing"]));
        Assert.False(await db.KeyExistsAsync("greeting"));
        Assert.True(await db.StringSetAsync("nx", "1", when: When.NotExists));
        Assert.False(await db.StringSetAsync("nx", "2", when: When.NotExists));
        Assert.Equal(RedisType.String, await db.KeyTypeAsync("nx"));
        var error = await Assert.ThrowsAsync<RedisServerException>(() => db.ExecuteAsync("INCRBY", "nx", "x"));
        Assert.Equal("ERR value is not an integer or out of range", error.Message);
    }

    // A client connected only to a follower: writes (sent raw, since StackExchange.Redis refuses to send a known
    // write to a replica) and reads are relayed to the leader, so the read sees the write.
    [Fact]
    public async Task ClientOfOneFollower_ReadsThroughForwarding()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = cluster.Nodes.First(n => n != leader);
        var options = new ConfigurationOptions { AbortOnConnectFail = false, SyncTimeout = 15000, AsyncTimeout = 15000 };
        options.EndPoints.Add("127.0.0.1", follower.RespPort);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var db = redis.GetDatabase();

        Assert.StartsWith("+OK", await RawResp.TryCommandAsync(follower.RespPort, "SET via-follower 1", timeout: RawResp.Answer));
        Assert.Equal("1", (string?)await db.StringGetAsync("via-follower", CommandFlags.DemandReplica));
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessCollection
{
    public const string Name = "processes";
}
