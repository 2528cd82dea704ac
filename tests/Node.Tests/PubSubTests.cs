using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>PUBLISH is a log entry: every node delivers it to its own subscribers when it applies it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PubSubTests
{
    [Fact]
    public async Task Publish_OnAFollower_ReachesSubscribersOnEveryNode_AndCountsThisNodesReceivers()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var subscribers = new List<RespTestClient>();
        try
        {
            foreach (var node in cluster.Nodes)
            {
                var subscriber = await RespTestClient.ConnectAsync(node.RespPort);
                subscribers.Add(subscriber);
                var confirmation = Assert.IsType<ArrayReply>(await subscriber.SendAsync("SUBSCRIBE", "news"));
                Assert.Equal("subscribe", confirmation.Items[0].Text());
            }

            var follower = cluster.Nodes.First(node => node.Index != leader.Index);
            await using var publisher = await RespTestClient.ConnectAsync(follower.RespPort);
            var receivers = await publisher.SendAsync("PUBLISH", "news", "hello");

            // Redis counts the receivers on the node the client is connected to: here the follower's one subscriber.
            Assert.Equal("1", receivers.Text());
            foreach (var subscriber in subscribers)
            {
                var message = Assert.IsType<ArrayReply>(await subscriber.ReadReplyAsync());
                Assert.Equal(["message", "news", "hello"], message.Items.Select(static item => item.Text()));
            }
        }
        finally
        {
            foreach (var subscriber in subscribers)
                await subscriber.DisposeAsync();
        }
    }

    /// <summary>
    /// Regression: a PUBLISH sent to a follower answered the leader's count, so a subscriber on the publisher's own
    /// node received the message while PUBLISH said nobody did (ioredis and node-redis through a follower saw 0).
    /// </summary>
    [Fact]
    public async Task Publish_OnAFollower_CountsTheReceiversOnThatFollower_NotTheLeaders()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(node => node.Index != leader.Index);

        // Two subscriptions on the follower (a channel and a matching pattern), none on the leader.
        await using var subscriber = await RespTestClient.ConnectAsync(follower.RespPort);
        Assert.IsType<ArrayReply>(await subscriber.SendAsync("SUBSCRIBE", "alerts"));
        Assert.IsType<ArrayReply>(await subscriber.SendAsync("PSUBSCRIBE", "al*"));
        await using var publisher = await RespTestClient.ConnectAsync(follower.RespPort);
        for (var round = 0; round < 3; round++)
        {
            Assert.Equal("2", (await publisher.SendAsync("PUBLISH", "alerts", $"m{round}")).Text());
            var first = Assert.IsType<ArrayReply>(await subscriber.ReadReplyAsync());
            var second = Assert.IsType<ArrayReply>(await subscriber.ReadReplyAsync());
            Assert.Equal(["message", "pmessage"], new[] { first.Items[0].Text(), second.Items[0].Text() }.Order());
        }

        // And a subscriber on the leader only is not counted by a PUBLISH sent to the follower, though it receives it.
        await using var onLeader = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.IsType<ArrayReply>(await onLeader.SendAsync("SUBSCRIBE", "leader-only"));
        Assert.Equal("0", (await publisher.SendAsync("PUBLISH", "leader-only", "x")).Text());
        var message = Assert.IsType<ArrayReply>(await onLeader.ReadReplyAsync());
        Assert.Equal(["message", "leader-only", "x"], message.Items.Select(static item => item.Text()));
    }
}
