using RaftKV.Integration.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace RaftKV.Integration.Tests;

/// <summary>
/// Clients that find the primary the Redis way, given every node, find the Raft leader and write again after it is
/// killed: redis-py's <c>Sentinel</c> and StackExchange.Redis given every endpoint. Correctness only: how fast is
/// measured by scripts/client-failover.sh, not here.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class SentinelClientTests(ITestOutputHelper output)
{
    private static readonly TimeSpan WriteAgainWithin = TimeSpan.FromSeconds(90);

    // Discovers the master through the nodes as Sentinels, writes, and prints the master's port; retries for up to
    // argv[2] seconds, as an application would, while no leader is known or the old one is still being left.
    private const string RedisPySentinelProgram = """
        import sys, time
        from redis.exceptions import RedisError
        from redis.sentinel import Sentinel
        nodes = [("127.0.0.1", int(p)) for p in sys.argv[1].split(",")]
        sentinel = Sentinel(nodes)
        master = sentinel.master_for("raftkv")
        deadline = time.monotonic() + float(sys.argv[2])
        while True:
            try:
                master.set("sentinel-client", sys.argv[3])
                assert master.get("sentinel-client") == sys.argv[3].encode()
                print(sentinel.discover_master("raftkv")[1])
                break
            except (RedisError, OSError) as e:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        """;

    [Fact]
    public async Task RedisPySentinel_FindsTheLeader_AndWritesAgainAfterTheLeaderIsKilled()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        var ports = string.Join(',', cluster.Nodes.Select(static n => n.RespPort));

        var (exit, text) = await Python.RunAsync(RedisPySentinelProgram, ports, "30", "before");
        Assert.True(exit == 0, text);
        Assert.Equal(leader.RespPort.ToString(System.Globalization.CultureInfo.InvariantCulture), text.Trim());

        leader.Kill();
        (exit, text) = await Python.RunAsync(RedisPySentinelProgram, ports, WriteAgainWithin.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "after");
        Assert.True(exit == 0, text);
        var newLeader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"redis-py found the new leader on {text.Trim()}; the cluster reports {newLeader.RespPort}");
        Assert.NotEqual(leader.RespPort.ToString(System.Globalization.CultureInfo.InvariantCulture), text.Trim());
    }

    [Fact]
    public async Task StackExchangeRedis_GivenEveryNode_WritesAgainAfterTheLeaderIsKilled()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        var endpoints = string.Join(',', cluster.Nodes.Select(static n => n.Endpoint));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(endpoints);
        await WriteAndReadAsync(redis.GetDatabase(), "before");

        leader.Kill();
        await WriteAndReadAsync(redis.GetDatabase(), "after");
    }

    // Retries as an application would while the client finds the new leader; a write whose outcome was unknown is
    // simply written again (SET is idempotent), and the value is read back.
    private static async Task WriteAndReadAsync(IDatabase db, string value)
    {
        var deadline = DateTime.UtcNow + WriteAgainWithin;
        while (true)
        {
            try
            {
                await db.StringSetAsync("sentinel-client", value);
                Assert.Equal(value, (string?)await db.StringGetAsync("sentinel-client"));
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
