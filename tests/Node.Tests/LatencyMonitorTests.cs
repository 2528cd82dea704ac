using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// Redis's latency monitor (unit/latency-monitor): with latency-monitor-threshold set, a command that lasts that long is
/// an event ("command"), which LATENCY LATEST, HISTORY, GRAPH, DOCTOR and RESET report. LATENCY used to answer as if
/// monitoring were always off.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LatencyMonitorTests
{
    [Fact]
    public async Task ACommandPastTheThreshold_IsAnEvent_ThatLatencyReports_AndResetForgets()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        // Off (the default): nothing is recorded.
        Assert.Equal("OK", (await client.SendAsync("DEBUG", "SLEEP", "0.2")).Text());
        Assert.Empty(Assert.IsType<ArrayReply>(await client.SendAsync("LATENCY", "LATEST")).Items);

        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "latency-monitor-threshold", "100")).Text());
        Assert.Equal("OK", (await client.SendAsync("DEBUG", "SLEEP", "0.25")).Text());

        var latest = Assert.IsType<ArrayReply>(Assert.Single(Assert.IsType<ArrayReply>(await client.SendAsync("LATENCY", "LATEST")).Items)).Items;
        Assert.Equal("command", latest[0].Text());
        Assert.InRange(Number(latest[1]), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.True(Number(latest[2]) >= 200, $"latest {Number(latest[2])} ms");
        Assert.True(Number(latest[3]) >= Number(latest[2]));

        var history = Assert.IsType<ArrayReply>(await client.SendAsync("LATENCY", "HISTORY", "command")).Items;
        Assert.Equal(Number(latest[2]), Number(Assert.IsType<ArrayReply>(Assert.Single(history)).Items[1]));
        Assert.Empty(Assert.IsType<ArrayReply>(await client.SendAsync("LATENCY", "HISTORY", "blabla")).Items);
        Assert.StartsWith("command - high", (await client.SendAsync("LATENCY", "GRAPH", "command")).Text());
        Assert.Contains("1. command:", (await client.SendAsync("LATENCY", "DOCTOR")).Text());

        Assert.Equal("0", (await client.SendAsync("LATENCY", "RESET", "blabla")).Text());
        // Names without case, as Redis resets them.
        Assert.Equal("1", (await client.SendAsync("LATENCY", "RESET", "COMMAND", "command")).Text());
        Assert.Equal("OK", (await client.SendAsync("DEBUG", "SLEEP", "0.2")).Text());
        Assert.Equal("1", (await client.SendAsync("LATENCY", "RESET")).Text());
        Assert.Empty(Assert.IsType<ArrayReply>(await client.SendAsync("LATENCY", "LATEST")).Items);
        Assert.Equal("-ERR No samples available for event 'command'", (await client.SendAsync("LATENCY", "GRAPH", "command")).Text());
    }

    private static long Number(Reply reply) => long.Parse(reply.Text()!, System.Globalization.CultureInfo.InvariantCulture);
}
