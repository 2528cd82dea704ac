using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>LATENCY HISTOGRAM as Redis 7.0 answers it: per command (container|subcommand) the calls since CONFIG RESETSTAT and a histogram.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LatencyHistogramTests
{
    [Fact]
    public async Task Histogram_ReportsCallsPerCommand_SubcommandsUnderTheirContainer_AndSkipsUnknownNames()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        Assert.Equal("OK", (await client.SendAsync("CONFIG", "RESETSTAT")).Text());
        var empty = (await client.SendAsync("LATENCY", "HISTOGRAM")).Text()!;
        Assert.StartsWith("[$config|resetstat, [$calls, :1, $histogram_usec, [", empty);

        Assert.Equal("OK", (await client.SendAsync("CONFIG", "RESETSTAT")).Text());
        await client.SendAsync("SET", "a", "b");
        await client.SendAsync("SET", "c", "d");
        await client.SendAsync("GET", "a");
        await client.SendAsync("CLIENT", "ID");
        await client.SendAsync("CLIENT", "LIST");

        var some = (await client.SendAsync("LATENCY", "HISTOGRAM", "blabla", "set", "get", "zadd")).Text()!;
        Assert.StartsWith("[$set, [$calls, :2, $histogram_usec, [", some);
        Assert.Contains("$get, [$calls, :1, $histogram_usec, [", some);
        Assert.DoesNotContain("zadd", some);
        Assert.DoesNotContain("blabla", some);

        var subcommands = (await client.SendAsync("LATENCY", "HISTOGRAM", "client")).Text()!;
        Assert.StartsWith("[$client|id, [$calls, :1, $histogram_usec, [", subcommands);
        Assert.Contains("$client|list, [$calls, :1,", subcommands);
        Assert.StartsWith("[$client|id, [$calls, :1,", (await client.SendAsync("LATENCY", "HISTOGRAM", "CLIENT|ID")).Text()!);
        Assert.Equal("[]", (await client.SendAsync("LATENCY", "HISTOGRAM", "blabla")).Text());
    }
}
