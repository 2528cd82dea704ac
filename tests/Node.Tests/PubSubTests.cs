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

            // Redis counts the receivers on the node that ran the command: here the leader, which applied it for the relay.
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
}
