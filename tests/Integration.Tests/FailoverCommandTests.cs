using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>
/// Redis 7.0's FAILOVER as a Raft leadership transfer: its checks and errors as Redis's (a replica refuses, ABORT with
/// nothing to abort, FORCE without TO and TIMEOUT, a target that is no replica), then FAILOVER TO a named follower and
/// a plain FAILOVER each move the leadership, with every acknowledged write still there.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class FailoverCommandTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Failover_MovesTheLeadership_ToTheNamedFollowerOrAny_WithRedisChecks()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(Long);
        var follower = cluster.Nodes.First(n => n != leader);

        Assert.StartsWith("-ERR FAILOVER is not valid when server is a replica.", await Ask(follower, "FAILOVER"));
        Assert.StartsWith("-ERR No failover in progress.", await Ask(leader, "FAILOVER", "ABORT"));
        Assert.StartsWith("-ERR FAILOVER timeout must be greater than 0", await Ask(leader, "FAILOVER", "TIMEOUT", "0"));
        Assert.StartsWith("-ERR FAILOVER with force option requires both a timeout and target HOST and IP.", await Ask(leader, "FAILOVER", "FORCE"));
        Assert.StartsWith("-ERR FAILOVER target HOST and PORT is not a replica.", await Ask(leader, "FAILOVER", "TO", "127.0.0.1", "1"));
        Assert.StartsWith("-ERR syntax error", await Ask(leader, "FAILOVER", "SOON"));
        Assert.StartsWith("+OK", await Ask(leader, "SET", "failover-key", "1"));

        Assert.StartsWith("+OK", await Ask(leader, "FAILOVER", "TO", "127.0.0.1", follower.RespPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "TIMEOUT", "30000"));
        Assert.Equal(follower, await cluster.WaitForLeaderAsync(Long));
        Assert.StartsWith("+OK", await Ask(follower, "SET", "failover-key", "2"));

        Assert.StartsWith("+OK", await Ask(follower, "FAILOVER"));
        var third = await cluster.WaitForLeaderAsync(Long);
        Assert.NotEqual(follower, third);
        Assert.Contains("$1\r\n2\r\n", await Ask(third, "GET", "failover-key"), StringComparison.Ordinal);
    }

    private static async Task<string> Ask(NodeProcess node, params string[] args) =>
        await RawResp.TryCommandAsync(node.RespPort, Long, args) ?? "(no answer)";
}
