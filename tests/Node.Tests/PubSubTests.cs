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

    /// <summary>
    /// Sharded pub/sub as Redis 7.0 serves it outside a cluster (they answered unknown command): SSUBSCRIBE counts its
    /// own channels, SPUBLISH reaches them as smessage on every node and counts them, the two namespaces stay apart,
    /// SUNSUBSCRIBE (with and without names), PUBSUB SHARDCHANNELS / SHARDNUMSUB, CLIENT LIST ssub=, and SSUBSCRIBE is
    /// refused inside EXEC as Redis refuses it there.
    /// </summary>
    [Fact]
    public async Task ShardedPubSub_SpublishReachesSsubscribersOnEveryNode_ApartFromPlainChannels()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(node => node.Index != leader.Index);

        await using var sharded = await RespTestClient.ConnectAsync(follower.RespPort);
        Assert.Equal(["ssubscribe", "chan1", "1"], Items(await sharded.SendAsync("SSUBSCRIBE", "chan1")));
        Assert.Equal(["ssubscribe", "chan2", "2"], Items(await sharded.SendAsync("SSUBSCRIBE", "chan2")));
        Assert.Equal(["ssubscribe", "chan2", "2"], Items(await sharded.SendAsync("SSUBSCRIBE", "chan2")));
        await using var plain = await RespTestClient.ConnectAsync(follower.RespPort);
        Assert.Equal(["subscribe", "chan1", "1"], Items(await plain.SendAsync("SUBSCRIBE", "chan1")));
        await using var onLeader = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal(["ssubscribe", "chan1", "1"], Items(await onLeader.SendAsync("SSUBSCRIBE", "chan1")));

        await using var publisher = await RespTestClient.ConnectAsync(follower.RespPort);
        Assert.Equal("1", (await publisher.SendAsync("SPUBLISH", "chan1", "hello")).Text());
        Assert.Equal(["smessage", "chan1", "hello"], Items(await sharded.ReadReplyAsync()));
        Assert.Equal(["smessage", "chan1", "hello"], Items(await onLeader.ReadReplyAsync()));
        Assert.Equal("1", (await publisher.SendAsync("PUBLISH", "chan1", "plain")).Text());
        Assert.Equal(["message", "chan1", "plain"], Items(await plain.ReadReplyAsync()));

        // SPUBLISH never reached the plain subscriber, nor PUBLISH the sharded ones: the next thing each reads is this.
        Assert.Equal("1", (await publisher.SendAsync("SPUBLISH", "chan2", "world")).Text());
        Assert.Equal(["smessage", "chan2", "world"], Items(await sharded.ReadReplyAsync()));
        Assert.Equal("1", (await publisher.SendAsync("PUBLISH", "chan1", "again")).Text());
        Assert.Equal(["message", "chan1", "again"], Items(await plain.ReadReplyAsync()));

        var info = await publisher.SendAsync("PUBSUB", "SHARDNUMSUB", "chan1", "chan2", "none");
        Assert.Equal(["chan1", "1", "chan2", "1", "none", "0"], Items(info));
        Assert.Equal(["chan1", "chan2"], Items(await publisher.SendAsync("PUBSUB", "SHARDCHANNELS")));
        Assert.Equal(["chan2"], Items(await publisher.SendAsync("PUBSUB", "SHARDCHANNELS", "*2")));
        Assert.Equal(["chan1", "1"], Items(await publisher.SendAsync("PUBSUB", "NUMSUB", "chan1")));
        Assert.Contains("ssub=2 ", (await publisher.SendAsync("CLIENT", "LIST")).Text(), StringComparison.Ordinal);

        // A script's SPUBLISH is delivered as smessage once its entry applies (the script itself sees 0 receivers).
        Assert.Equal("0", (await publisher.SendAsync("EVAL", "return redis.call('spublish', 'chan2', 'from-script')", "0")).Text());
        Assert.Equal(["smessage", "chan2", "from-script"], Items(await sharded.ReadReplyAsync()));

        Assert.Equal(["sunsubscribe", "chan1", "1"], Items(await sharded.SendAsync("SUNSUBSCRIBE", "chan1")));
        Assert.Equal("0", (await publisher.SendAsync("SPUBLISH", "chan1", "gone")).Text());
        Assert.Equal(["sunsubscribe", "chan2", "0"], Items(await sharded.SendAsync("SUNSUBSCRIBE")));
        Assert.Equal(["sunsubscribe", "(nil)", "0"], Items(await sharded.SendAsync("SUNSUBSCRIBE")));
        Assert.Equal("PONG", (await sharded.SendAsync("PING")).Text());

        await using var transaction = await RespTestClient.ConnectAsync(leader.RespPort);
        await transaction.SendAsync("MULTI");
        await transaction.SendAsync("SSUBSCRIBE", "chan3");
        var exec = Assert.IsType<ArrayReply>(await transaction.SendAsync("EXEC"));
        Assert.Equal("-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client", exec.Items[0].Text());
    }

    private static string[] Items(Reply reply) => [.. Assert.IsType<ArrayReply>(reply).Items.Select(static item => item is NullReply ? "(nil)" : item.Text() ?? "")];
}
