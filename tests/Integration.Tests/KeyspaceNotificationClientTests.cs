using RaftKV.Integration.Tests.Infrastructure;
using StackExchange.Redis;

namespace RaftKV.Integration.Tests;

/// <summary>
/// Keyspace notifications as real clients watch for changes (issue 16): subscribers on a follower receive the events
/// of writes made on the leader, in log order, with redis-py and with StackExchange.Redis; CONFIG SET
/// notify-keyspace-events on one node is seen on every node.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class KeyspaceNotificationClientTests
{
    [Fact]
    public async Task RedisPy_SubscriberOnAFollower_ReceivesSetHsetDelAndExpiry_OfLeaderWrites_InLogOrder()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var followers = cluster.Nodes.Where(n => n != leader).ToList();
        var script = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Scripts", "redis_py_keyspace.py"));
        var ports = new[] { leader.RespPort, followers[0].RespPort, followers[1].RespPort }
            .Select(static p => p.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var (exit, output) = await Python.RunAsync(script, [.. ports, "py:"]);
        var text = output.Trim();
        Assert.True(exit == 0, $"redis-py script failed ({exit}): {text}");
        Assert.Equal("OK", text);
    }

    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task StackExchangeRedis_SubscriberOnAFollower_ReceivesSetHsetDelAndExpiry_OfLeaderWrites_InLogOrder(RedisProtocol protocol)
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = cluster.Nodes.First(n => n != leader);
        var writerOptions = cluster.ClientOptions(protocol);
        writerOptions.AllowAdmin = true;
        await using var writer = await ConnectionMultiplexer.ConnectAsync(writerOptions);
        var options = cluster.ClientOptions(protocol);
        options.AllowAdmin = true;
        options.EndPoints.Clear();
        options.EndPoints.Add(System.Net.IPAddress.Loopback, follower.RespPort);
        await using var watcher = await ConnectionMultiplexer.ConnectAsync(options);

        // CONFIG SET on the leader: every node applies it; the follower must have it before the writes are made.
        var leaderServer = writer.GetServer(System.Net.IPAddress.Loopback, leader.RespPort);
        await leaderServer.ConfigSetAsync("notify-keyspace-events", "KEA");
        var followerServer = watcher.GetServer(System.Net.IPAddress.Loopback, follower.RespPort);
        await WaitForAsync(async () => (await followerServer.ConfigGetAsync("notify-keyspace-events")).Single().Value == "AKE");

        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var queue = await watcher.GetSubscriber().SubscribeAsync(RedisChannel.Pattern("__keyspace@0__:se:*"));
        queue.OnMessage(message => seen.Enqueue(((string)message.Channel!)["__keyspace@0__:".Length..] + " " + message.Message));

        var db = writer.GetDatabase();
        await db.StringSetAsync("se:k", "v1");
        await db.HashSetAsync("se:h", "f", "v");
        await db.KeyDeleteAsync("se:k");
        await db.StringSetAsync("se:e", "v", TimeSpan.FromMilliseconds(300));

        string[] expected = ["se:k set", "se:h hset", "se:k del", "se:e set", "se:e expire", "se:e expired"];
        await WaitForAsync(() => Task.FromResult(seen.Count >= expected.Length));
        Assert.Equal(expected, seen.ToArray());
    }

    [Fact]
    public async Task RaftkvGetrev_GivesTheValueAndARevision_ThatGrowsWithEachChange()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = cluster.Nodes.First(n => n != leader);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.ClientOptions());
        var db = redis.GetDatabase();
        await db.StringSetAsync("rev", "a");
        var first = (RedisResult[])(await db.ExecuteAsync("RAFTKV.GETREV", "rev"))!;
        await db.StringSetAsync("rev", "b");
        var second = (RedisResult[])(await db.ExecuteAsync("RAFTKV.GETREV", "rev"))!;
        Assert.Equal("a", (string?)first[0]);
        Assert.Equal("b", (string?)second[0]);
        Assert.True((long)second[1] > (long)first[1], $"{(long)second[1]} <= {(long)first[1]}");

        // Through a follower (forwarded to the leader): the same answer. The follower's first relay opens its connection
        // to the leader, which took more than 2 s on a loaded machine.
        var viaFollower = await RawResp.TryCommandAsync(follower.RespPort, TimeSpan.FromSeconds(30), "RAFTKV.GETREV", "rev");
        Assert.Contains(((long)second[1]).ToString(System.Globalization.CultureInfo.InvariantCulture), viaFollower, StringComparison.Ordinal);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 90 s");
            await Task.Delay(100);
        }
    }
}
