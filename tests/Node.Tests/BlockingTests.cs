using System.Diagnostics;
using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>Blocking pops: served by a later push (itself a log entry), FIFO per key, timeouts, through followers.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BlockingTests
{
    [Fact]
    public async Task Blpop_OnAnEmptyList_IsServedByALaterPush_InFifoOrder()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var first = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var second = await RespTestClient.ConnectAsync(follower.RespPort);
        await using var pusher = await RespTestClient.ConnectAsync(leader.RespPort);

        var firstPop = first.SendAsync("BLPOP", "queue", "other", "0");
        await Task.Delay(300);
        var secondPop = second.SendAsync("BRPOP", "queue", "10");
        await Task.Delay(300);
        Assert.False(firstPop.IsCompleted);
        Assert.False(secondPop.IsCompleted);

        Assert.Equal("1", (await pusher.SendAsync("RPUSH", "queue", "a")).Text());
        Assert.Equal("[$queue, $a]", (await firstPop.WaitAsync(TimeSpan.FromSeconds(10))).ToString());
        Assert.False(secondPop.IsCompleted);

        Assert.Equal("1", (await pusher.SendAsync("LPUSH", "queue", "b")).Text());
        Assert.Equal("[$queue, $b]", (await secondPop.WaitAsync(TimeSpan.FromSeconds(10))).ToString());
        Assert.Equal("0", (await pusher.SendAsync("LLEN", "queue")).Text());

        // The pops were log entries: every replica agrees.
        await cluster.WaitForConvergenceAsync();
        var digests = await cluster.DigestsAsync();

        Assert.Single(digests.Distinct());
    }

    [Fact]
    public async Task Blpop_Timeout_AnswersNullArray_AndADataKeyIsServedAtOnce()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        var clock = Stopwatch.StartNew();
        var reply = await client.SendAsync("BLPOP", "nothing", "0.5");
        Assert.True(reply is NullReply { Kind: NullKind.Array }, reply.ToString());
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(400), $"returned after {clock.Elapsed}");

        Assert.Equal("2", (await client.SendAsync("RPUSH", "l", "x", "y")).Text());
        Assert.Equal("[$l, $x]", (await client.SendAsync("BLPOP", "l", "0")).ToString());
        Assert.Equal("y", (await client.SendAsync("BLMOVE", "l", "dst", "LEFT", "RIGHT", "1")).Text());
        Assert.Equal("-ERR timeout is negative", (await client.SendAsync("BLPOP", "l", "-1")).Text());
    }

    [Theory]
    [InlineData("BLPOP", "list", "0")]
    [InlineData("BLMOVE", "list", "dst", "LEFT", "LEFT", "0")]
    public async Task ABlockedPop_WokenWhileItsKeyHoldsAnotherType_KeepsWaiting(params string[] pop)
    {
        // Redis serves a blocked client only from a key of its type: a transaction that pushed, deleted and SET the key
        // left the client blocked (the suite's "LPUSH + DEL + SET should not awake blocked client" got WRONGTYPE).
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var blocked = await RespTestClient.ConnectAsync(node.RespPort);
        await using var other = await RespTestClient.ConnectAsync(node.RespPort);

        var read = blocked.SendAsync(pop);
        await Task.Delay(500);
        Assert.Equal("OK", (await other.SendAsync("MULTI")).Text());
        await other.SendAsync("LPUSH", "list", "a");
        await other.SendAsync("DEL", "list");
        await other.SendAsync("SET", "list", "foo");
        Assert.Equal("[:1, :1, +OK]", (await other.SendAsync("EXEC")).ToString());
        await Task.Delay(500);
        Assert.False(read.IsCompleted, "the blocked pop was answered while its key held a string");

        Assert.Equal("1", (await other.SendAsync("DEL", "list")).Text());
        Assert.Equal("1", (await other.SendAsync("LPUSH", "list", "b")).Text());
        var expected = pop[0] == "BLPOP" ? "[$list, $b]" : "$b";
        Assert.Equal(expected, (await read.WaitAsync(TimeSpan.FromSeconds(30))).ToString());
    }
}
