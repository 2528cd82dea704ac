using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// Member/score replies are flat under RESP2 and nested pairs under RESP3, as Redis 7 replies, on the leader and
/// through a follower's relay alike (the relay speaks the client's RESP version to the leader).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class Resp3ReplyShapeTests
{
    [Fact]
    public async Task WithScores_IsFlatUnderResp2_AndNestedUnderResp3_OnLeaderAndFollower()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using (var writer = await RespTestClient.ConnectAsync(leader.RespPort))
            Assert.Equal("2", (await writer.SendAsync("ZADD", "z", "1", "a", "2.5", "b")).Text());

        foreach (var node in new[] { leader, follower })
        {
            await using var client = await RespTestClient.ConnectAsync(node.RespPort);
            var flat = Assert.IsType<ArrayReply>(await client.SendAsync("ZRANGE", "z", "0", "-1", "WITHSCORES"));
            Assert.Equal(new string?[] { "a", "1", "b", "2.5" }, flat.Items.Select(static i => i.Text()).ToArray());

            Assert.IsType<MapReply>(await client.SendAsync("HELLO", "3"));
            var nested = Assert.IsType<ArrayReply>(await client.SendAsync("ZRANGE", "z", "0", "-1", "WITHSCORES"));
            Assert.Equal(2, nested.Items.Count);
            var first = Assert.IsType<ArrayReply>(nested.Items[0]);
            Assert.Equal("a", first.Items[0].Text());
            Assert.Equal(1.0, Assert.IsType<DoubleReply>(first.Items[1]).Value);
            Assert.Equal(2.5, Assert.IsType<DoubleReply>(Assert.IsType<ArrayReply>(nested.Items[1]).Items[1]).Value);

            // ZPOPMIN with COUNT nests too (without COUNT the single pair stays flat).
            Assert.Equal("1", (await client.SendAsync("ZADD", "p", "1", "m")).Text());
            var popped = Assert.IsType<ArrayReply>(await client.SendAsync("ZPOPMIN", "p", "1"));
            Assert.Equal("m", Assert.IsType<ArrayReply>(Assert.Single(popped.Items)).Items[0].Text());

            // Back to RESP2 on the same connection: flat again, also through the relay.
            Assert.IsType<ArrayReply>(await client.SendAsync("HELLO", "2"));
            Assert.Equal(4, Assert.IsType<ArrayReply>(await client.SendAsync("ZRANGE", "z", "0", "-1", "WITHSCORES")).Items.Count);
        }
    }
}
