using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// CLIENT UNBLOCK ends another client's blocking wait as Redis's does: TIMEOUT (the default) answers it as a timeout,
/// ERROR with -UNBLOCKED; the reply is 1 for a blocked client, 0 for any other (the suite's "client unblock tests"
/// waited for ever on a pop that CLIENT UNBLOCK answered 0 to).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientUnblockTests
{
    [Fact]
    public async Task ClientUnblock_EndsABlockedPop_AsATimeoutOrAnError_AndLeavesTheListAlone()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var blocked = await RespTestClient.ConnectAsync(node.RespPort);
        await using var admin = await RespTestClient.ConnectAsync(node.RespPort);
        var id = (await blocked.SendAsync("CLIENT", "ID")).Text()!;

        var pop = blocked.SendAsync("BLPOP", "l", "0");
        await BlockedClients.WaitForAsync(admin, 1);
        Assert.Equal("1", (await admin.SendAsync("CLIENT", "UNBLOCK", id)).Text());
        var reply = await pop.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(reply is NullReply { Kind: NullKind.Array }, reply.ToString());

        pop = blocked.SendAsync("BLMOVE", "l", "dst", "LEFT", "RIGHT", "0");
        await BlockedClients.WaitForAsync(admin, 1);
        Assert.Equal("1", (await admin.SendAsync("CLIENT", "UNBLOCK", id, "ERROR")).Text());
        Assert.Equal("-UNBLOCKED client unblocked via CLIENT UNBLOCK", (await pop.WaitAsync(TimeSpan.FromSeconds(30))).Text());

        // Not blocked now: 0, and a later push stays in the list (nothing is popped for the unblocked client).
        Assert.Equal("0", (await admin.SendAsync("CLIENT", "UNBLOCK", id)).Text());
        Assert.Equal("1", (await admin.SendAsync("RPUSH", "l", "x")).Text());
        Assert.Equal("[$x]", (await admin.SendAsync("LRANGE", "l", "0", "-1")).ToString());

        // The client still blocks and is served normally.
        Assert.Equal("[$l, $x]", (await blocked.SendAsync("BLPOP", "l", "0")).ToString());
    }
}
