using System.Diagnostics;
using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>XREAD and XREADGROUP with BLOCK on real nodes: woken by an XADD from another client, as BLPOP is by a push.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StreamBlockingTests
{
    [Fact]
    public async Task XreadBlock_WithDollar_IsWokenByAnXaddFromAnotherClient_AndGetsOnlyTheNewEntry()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var reader = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var viaFollower = await RespTestClient.ConnectAsync(follower.RespPort);
        await using var writer = await RespTestClient.ConnectAsync(follower.RespPort);

        Assert.Equal("1-0", (await writer.SendAsync("XADD", "s", "1-0", "old", "x")).Text());
        var read = reader.SendAsync("XREAD", "BLOCK", "0", "STREAMS", "s", "$");
        var readThroughFollower = viaFollower.SendAsync("XREAD", "COUNT", "5", "BLOCK", "20000", "STREAMS", "other", "s", "0", "$");
        // Both registered on the leader (the relayed one too) before the XADD: "$" is the last id when a read blocks.
        await BlockedClients.WaitForWaitersAsync(leader, 2);
        Assert.False(read.IsCompleted);
        Assert.False(readThroughFollower.IsCompleted);

        // Each node counts the clients connected to it (Redis's test suite asks the node its client is on): the leader
        // its own reader, the follower the one whose command it relays.
        await WaitForBlockedClientsAsync(leader.RespPort, 1);
        await WaitForBlockedClientsAsync(follower.RespPort, 1);

        Assert.Equal("2-0", (await writer.SendAsync("XADD", "s", "2-0", "new", "y")).Text());
        Assert.Equal("[[$s, [[$2-0, [$new, $y]]]]]", (await read.WaitAsync(TimeSpan.FromSeconds(20))).ToString());
        Assert.Equal("[[$s, [[$2-0, [$new, $y]]]]]", (await readThroughFollower.WaitAsync(TimeSpan.FromSeconds(20))).ToString());
    }

    [Fact]
    public async Task XreadgroupBlock_IsWokenByAnXadd_AndItsDeliveryIsReplicated()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using var consumer = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var writer = await RespTestClient.ConnectAsync(leader.RespPort);

        Assert.Equal("OK", (await writer.SendAsync("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")).Text());
        var read = consumer.SendAsync("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">");
        await Task.Delay(500);
        Assert.False(read.IsCompleted);

        Assert.Equal("7-0", (await writer.SendAsync("XADD", "s", "7-0", "f", "v")).Text());
        Assert.Equal("[[$s, [[$7-0, [$f, $v]]]]]", (await read.WaitAsync(TimeSpan.FromSeconds(20))).ToString());
        Assert.Equal("[:1, $7-0, $7-0, [[$alice, $1]]]", (await writer.SendAsync("XPENDING", "s", "g")).ToString());

        // The delivery was a log entry: every replica holds the same pending list.
        await cluster.WaitForConvergenceAsync();
        Assert.Single((await cluster.DigestsAsync()).Distinct());
    }

    [Fact]
    public async Task XreadBlock_Timeout_AnswersNullArray_AndXreadgroupIsUnblockedWhenItsKeyIsDeleted()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        await using var other = await RespTestClient.ConnectAsync(node.RespPort);

        var clock = Stopwatch.StartNew();
        var reply = await client.SendAsync("XREAD", "BLOCK", "500", "STREAMS", "nothing", "$");
        Assert.True(reply is NullReply { Kind: NullKind.Array }, reply.ToString());
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(400), $"returned after {clock.Elapsed}");
        Assert.Equal("-ERR timeout is negative", (await client.SendAsync("XREAD", "BLOCK", "-1", "STREAMS", "s", "$")).ToString());

        Assert.Equal("OK", (await other.SendAsync("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")).Text());
        var read = client.SendAsync("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">");
        await BlockedClients.WaitForAsync(other, 1);
        Assert.Equal("1", (await other.SendAsync("DEL", "s")).Text());
        Assert.Equal("-UNBLOCKED the stream key no longer exists", (await read.WaitAsync(TimeSpan.FromSeconds(20))).ToString());
    }

    [Theory]
    [InlineData("FLUSHALL")]
    [InlineData("FLUSHDB")]
    public async Task XreadgroupBlock_IsUnblockedWhenAFlushRemovesItsKey(string flush)
    {
        // A flush names no key, yet it deletes the blocked client's stream: Redis wakes the reader with an error
        // (the suite's "Blocking XREADGROUP: flushed DB" waited forever here).
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        await using var other = await RespTestClient.ConnectAsync(node.RespPort);

        Assert.Equal("OK", (await other.SendAsync("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")).Text());
        var read = client.SendAsync("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">");
        await BlockedClients.WaitForAsync(other, 1);
        Assert.Equal("OK", (await other.SendAsync(flush)).Text());
        Assert.Equal("-UNBLOCKED the stream key no longer exists", (await read.WaitAsync(TimeSpan.FromSeconds(30))).ToString());
    }

    private static async Task WaitForBlockedClientsAsync(int port, int expected)
    {
        await using var admin = await RespTestClient.ConnectAsync(port);
        var deadline = Stopwatch.StartNew();
        string? info;
        do
        {
            info = (await admin.SendAsync("INFO", "clients")).Text();
            if (info!.Contains($"blocked_clients:{expected}\r\n", StringComparison.Ordinal))
                return;
            await Task.Delay(50);
        }
        while (deadline.Elapsed < TimeSpan.FromSeconds(30));

        Assert.Fail($"blocked_clients never reached {expected} on port {port}: {info}");
    }
}
