using RaftKV.Integration.Tests.Infrastructure;
using StackExchange.Redis;

namespace RaftKV.Integration.Tests;

/// <summary>Every Redis data type through StackExchange.Redis's typed API, under RESP2 and RESP3.</summary>
[Collection(ProcessCollection.Name)]
public sealed class DataTypeClientTests
{
    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task Strings_Hashes_Lists_Sets_SortedSets_RoundTrip(RedisProtocol protocol)
    {
        await using var cluster = await ProcessCluster.StartAsync();
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.ClientOptions(protocol));
        var db = redis.GetDatabase();

        // Strings
        Assert.True(await db.StringSetAsync("s", "abc"));
        Assert.Equal(6, await db.StringAppendAsync("s", "def"));
        Assert.Equal("cde", (string?)await db.StringGetRangeAsync("s", 2, 4));
        Assert.Equal(2.5, await db.StringIncrementAsync("f", 2.5));

        // Hashes
        await db.HashSetAsync("h", [new("a", "1"), new("b", "2")]);
        Assert.Equal(12, await db.HashIncrementAsync("h", "a", 11));
        var hash = (await db.HashGetAllAsync("h")).ToDictionary(static e => (string)e.Name!, static e => (string?)e.Value);
        Assert.Equal(new Dictionary<string, string?> { ["a"] = "12", ["b"] = "2" }, hash);
        Assert.True(await db.HashExistsAsync("h", "b"));
        Assert.Equal(1, await db.HashDeleteAsync("h", ["b", "zz"]));

        // Lists
        Assert.Equal(3, await db.ListRightPushAsync("l", ["x", "y", "z"]));
        Assert.Equal(4, await db.ListLeftPushAsync("l", "w"));
        Assert.Equal(["w", "x", "y", "z"], (await db.ListRangeAsync("l")).Select(static v => (string)v!).ToArray());
        Assert.Equal("z", (string?)await db.ListRightPopAsync("l"));
        Assert.Equal(3, await db.ListLengthAsync("l"));

        // Sets
        Assert.Equal(3, await db.SetAddAsync("set", ["a", "b", "c"]));
        Assert.True(await db.SetContainsAsync("set", "b"));
        Assert.Equal(["a", "b", "c"], (await db.SetMembersAsync("set")).Select(static v => (string)v!).Order().ToArray());
        Assert.Equal(2, await db.SetAddAsync("other", ["b", "d"]));
        Assert.Equal(["b"], (await db.SetCombineAsync(SetOperation.Intersect, "set", "other")).Select(static v => (string)v!).ToArray());

        // Sorted sets
        Assert.Equal(3, await db.SortedSetAddAsync("z", [new("one", 1), new("two", 2), new("three", 3)]));
        Assert.Equal(2.5, await db.SortedSetIncrementAsync("z", "one", 1.5));
        Assert.Equal(1, await db.SortedSetRankAsync("z", "one"));
        var ranked = await db.SortedSetRangeByRankWithScoresAsync("z", 0, -1);
        Assert.Equal(["two", "one", "three"], ranked.Select(static e => (string)e.Element!).ToArray());
        Assert.Equal([2.0, 2.5, 3.0], ranked.Select(static e => e.Score).ToArray());
        Assert.Equal(["three"], (await db.SortedSetRangeByScoreAsync("z", 2.6, 10)).Select(static v => (string)v!).ToArray());

        // Wrong type
        var wrongType = await Assert.ThrowsAsync<RedisServerException>(() => db.ListLengthAsync("h"));
        Assert.StartsWith("WRONGTYPE", wrongType.Message);
    }
}
