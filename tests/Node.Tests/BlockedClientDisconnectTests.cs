using Microsoft.Extensions.DependencyInjection;
using RaftKV.Node.Execution;
using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// A client that disconnects while blocked stops waiting at once, as in Redis: a later push leaves its element in
/// the key instead of popping it for a client that is gone (issue 12, bug 1). Checked for a client of the leader and
/// for one blocked through a follower, whose relayed connection to the leader must be dropped with it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BlockedClientDisconnectTests
{
    public static TheoryData<string, string, string, string> Commands => new()
    {
        // blocking command, the push that would serve it, the read that shows the element is still there, its expected text
        { "BLPOP {k} 0", "RPUSH {k} a", "LRANGE {k} 0 -1", "[$a]" },
        { "BLMOVE {k} {k}:dst LEFT RIGHT 0", "RPUSH {k} a", "LRANGE {k} 0 -1", "[$a]" },
        { "BZPOPMIN {k} 0", "ZADD {k} 1 a", "ZRANGE {k} 0 -1", "[$a]" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task BlockedClientThatDisconnects_TakesNoElement_OnTheLeaderAndThroughAFollower(
        string block, string push, string read, string expected)
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        var waiters = leader.App!.Services.GetRequiredService<BlockingWaiters>();

        var viaLeader = await RespTestClient.ConnectAsync(leader.RespPort);
        var viaFollower = await RespTestClient.ConnectAsync(follower.RespPort);
        await viaLeader.SendRawAsync(Inline(block, "l"));
        await viaFollower.SendRawAsync(Inline(block, "f"));
        await WaitUntilAsync(() => waiters.Count == 2);
        Assert.Equal(2, waiters.Count);

        await viaLeader.DisposeAsync();
        await viaFollower.DisposeAsync();

        // Today's node never unregisters them; give the node time to notice, then push regardless.
        await WaitUntilAsync(() => waiters.Count == 0);
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        foreach (var key in new[] { "l", "f" })
            await SendAsync(client, Words(push, key));

        // A waiter that was still registered would have proposed its pop by now.
        await Task.Delay(500);
        foreach (var key in new[] { "l", "f" })
            Assert.Equal(expected, (await SendAsync(client, Words(read, key))).ToString());
        Assert.Equal(0, waiters.Count);
    }

    // A leader change on a busy machine answers "no leader" for a moment (the command did not run): try again.
    private static async Task<Reply> SendAsync(RespTestClient client, string[] words)
    {
        for (var attempt = 0; ; attempt++)
        {
            var reply = await client.SendAsync(words);
            if (attempt == 20 || reply.Text() != "-" + CommandExecutor.NoLeader)
                return reply;
            await Task.Delay(500);
        }
    }

    private static string[] Words(string template, string key) => template.Replace("{k}", key).Split(' ');

    private static byte[] Inline(string template, string key) =>
        System.Text.Encoding.ASCII.GetBytes(template.Replace("{k}", key) + "\r\n");

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition() && DateTime.UtcNow < deadline)
            await Task.Delay(50);
    }
}
