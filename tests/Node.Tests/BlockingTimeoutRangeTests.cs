using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Blocking timeouts beyond what a .NET timer takes (about 49.7 days) or a TimeSpan holds: found by the RESP fuzz
/// test, they answered "-ERR internal error" and logged a failure (CancelAfter's and TimeSpan's range exceptions) on
/// the leader and through followers. Redis blocks for such a timeout, and refuses one whose milliseconds overflow.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BlockingTimeoutRangeTests
{
    [Fact]
    public async Task Blpop_TimeoutOfMonths_BlocksUntilAPush_OnTheLeaderAndThroughAFollower()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var onLeader = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var onFollower = await RespTestClient.ConnectAsync(follower.RespPort);
        await using var pusher = await RespTestClient.ConnectAsync(leader.RespPort);

        var first = onLeader.SendAsync("BLPOP", "months", "5000000");
        var second = onFollower.SendAsync("BRPOP", "months2", "9000000000");
        await Task.Delay(300);
        Assert.False(first.IsCompleted, first.IsCompleted ? (await first).ToString() : "");
        Assert.False(second.IsCompleted, second.IsCompleted ? (await second).ToString() : "");

        Assert.Equal("1", (await pusher.SendAsync("RPUSH", "months", "a")).Text());
        Assert.Equal("1", (await pusher.SendAsync("RPUSH", "months2", "b")).Text());
        Assert.Equal("[$months, $a]", (await first.WaitAsync(TimeSpan.FromSeconds(20))).ToString());
        Assert.Equal("[$months2, $b]", (await second.WaitAsync(TimeSpan.FromSeconds(20))).ToString());
    }

    [Fact]
    public async Task XreadBlock_OfTheLargestInteger_BlocksUntilAnXadd()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var reader = await RespTestClient.ConnectAsync(node.RespPort);
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);

        var read = reader.SendAsync("XREAD", "BLOCK", "9223372036854775807", "STREAMS", "s", "$");
        // Blocked before the XADD: "$" means the entries after the stream's last one when the read runs.
        await BlockedClients.WaitForAsync(writer, 1);
        Assert.False(read.IsCompleted, read.IsCompleted ? (await read).ToString() : "");

        Assert.Equal("1-1", (await writer.SendAsync("XADD", "s", "1-1", "f", "v")).Text());
        Assert.Contains("1-1", (await read.WaitAsync(TimeSpan.FromSeconds(20))).ToString());
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("9.3e15")]
    public async Task Blpop_TimeoutWhoseMillisecondsOverflow_AnswersTheTimeoutError(string timeout)
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        Assert.Equal("-ERR timeout is out of range", (await client.SendAsync("BLPOP", "k", timeout)).Text());
    }
}
