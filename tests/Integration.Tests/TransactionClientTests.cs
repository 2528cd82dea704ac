using System.Diagnostics;
using RaftKV.Integration.Tests.Infrastructure;
using StackExchange.Redis;

namespace RaftKV.Integration.Tests;

/// <summary>
/// Transactions as real clients use them (issue 13): StackExchange.Redis conditions and locks, redis-py pipelines
/// and WatchError, through the leader and through a follower.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class TransactionClientTests
{
    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task StackExchangeRedis_TransactionWithCondition_AppliesWhenItHolds_AndNothingWhenItFails(RedisProtocol protocol)
    {
        await using var cluster = await ProcessCluster.StartAsync();
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.ClientOptions(protocol));
        var db = redis.GetDatabase();
        await db.StringSetAsync("cfg", "v1");

        var holds = db.CreateTransaction();
        holds.AddCondition(Condition.StringEqual("cfg", "v1"));
        _ = holds.StringSetAsync("cfg", "v2");
        _ = holds.StringIncrementAsync("version");
        Assert.True(await holds.ExecuteAsync());
        Assert.Equal("v2", (string?)await db.StringGetAsync("cfg"));
        Assert.Equal(1, (long)await db.StringGetAsync("version"));

        var fails = db.CreateTransaction();
        fails.AddCondition(Condition.StringEqual("cfg", "v1"));
        _ = fails.StringSetAsync("cfg", "v3");
        _ = fails.StringIncrementAsync("version");
        Assert.False(await fails.ExecuteAsync());
        Assert.Equal("v2", (string?)await db.StringGetAsync("cfg"));
        Assert.Equal(1, (long)await db.StringGetAsync("version"));

        var missing = db.CreateTransaction();
        missing.AddCondition(Condition.KeyNotExists("absent"));
        _ = missing.StringIncrementAsync("created");
        Assert.True(await missing.ExecuteAsync());
        Assert.Equal(1, (long)await db.StringGetAsync("created"));
    }

    [Fact]
    public async Task StackExchangeRedis_LockTakeExtendRelease_RightOwnerSucceeds_WrongOwnerChangesNothing()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.ClientOptions());
        var db = redis.GetDatabase();

        Assert.True(await db.LockTakeAsync("lock", "owner-a", TimeSpan.FromMinutes(1)));
        Assert.False(await db.LockTakeAsync("lock", "owner-b", TimeSpan.FromMinutes(1)));
        Assert.False(await db.LockExtendAsync("lock", "owner-b", TimeSpan.FromMinutes(5)));
        Assert.True(await db.KeyTimeToLiveAsync("lock") <= TimeSpan.FromMinutes(1));
        Assert.True(await db.LockExtendAsync("lock", "owner-a", TimeSpan.FromMinutes(5)));
        Assert.True(await db.KeyTimeToLiveAsync("lock") > TimeSpan.FromMinutes(2));
        Assert.False(await db.LockReleaseAsync("lock", "owner-b"));
        Assert.Equal("owner-a", (string?)await db.LockQueryAsync("lock"));
        Assert.True(await db.LockReleaseAsync("lock", "owner-a"));
        Assert.False(await db.KeyExistsAsync("lock"));
        Assert.True(await db.LockTakeAsync("lock", "owner-b", TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task RedisPy_PipelineTransactions_AndWatchError_ThroughTheLeaderAndThroughAFollower()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = cluster.Nodes.First(n => n != leader);
        Assert.Equal("OK", await RunRedisPyAsync(leader.RespPort, "leader"));
        Assert.Equal("OK", await RunRedisPyAsync(follower.RespPort, "follower"));
    }

    /// <summary>
    /// Runs the redis-py script with Debian's python3 (where python3-redis installs redis-py; .ci/run installs it).
    /// A missing redis-py makes the script fail, and so this test: it never skips.
    /// </summary>
    private static async Task<string> RunRedisPyAsync(int port, string prefix)
    {
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var script = Path.Combine(AppContext.BaseDirectory, "Scripts", "redis_py_transactions.py");
        var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add(prefix);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var text = ((await output) + (await error)).Trim();
        Assert.True(process.ExitCode == 0, $"redis-py script failed ({process.ExitCode}): {text}");
        return text;
    }
}
