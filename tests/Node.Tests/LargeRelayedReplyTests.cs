using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// A follower relays a read to the leader and hands its reply on whole, however many elements it has: the relay parsed
/// the leader's reply with the request limit (1M arguments), so LRANGE of a longer list through a follower failed on
/// every relay ("invalid multibulk length") and the client got CLUSTERDOWN after the command timeout.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LargeRelayedReplyTests
{
    [Fact]
    public async Task AReplyOfMoreThanAMillionElements_ComesWholeThroughAFollower()
    {
        const int Half = 550_000;
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        await using (var admin = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            foreach (var start in new[] { 0, Half })
            {
                var push = new string[Half + 2];
                push[0] = "RPUSH";
                push[1] = "big";
                for (var i = 0; i < Half; i++)
                    push[i + 2] = (start + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
                Assert.IsType<IntegerReply>(await admin.SendAsync(push));
            }
        }

        await cluster.WaitForConvergenceAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var client = await RespTestClient.ConnectAsync(follower.RespPort);
        var reply = await client.SendAsync("LRANGE", "big", "0", "-1");
        Assert.False(reply is ErrorReply, (reply as ErrorReply)?.Message);
        var items = Assert.IsType<ArrayReply>(reply).Items;
        Assert.Equal(2 * Half, items.Count);
        Assert.Equal("0", items[0].Text());
        Assert.Equal((2 * Half - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), items[^1].Text());
    }
}
