using System.Diagnostics;
using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// Fencing locks on a 3-node cluster (issue 5): tokens are log indexes, strictly increasing across leaders, and a new
/// leader extends every held lease before it answers any lock write, so a lock is never granted to another owner
/// before its holder's lease has run out, even when the new leader's clock runs ahead.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LockTests
{
    [Fact]
    public async Task Tokens_StrictlyIncrease_AcrossALeaderChange()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        long first;
        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            first = Token(await client.SendAsync("RAFTKV.LOCK.ACQUIRE", "job", "a", "10000"));
            Assert.Equal(first, Token(await client.SendAsync("RAFTKV.LOCK.ACQUIRE", "job", "a", "10000")));
            Assert.StartsWith("-LOCKED", (await client.SendAsync("RAFTKV.LOCK.ACQUIRE", "job", "b", "10000")).Text(), StringComparison.Ordinal);
            Assert.StartsWith("-NOTOWNER", (await client.SendAsync("RAFTKV.LOCK.RELEASE", "job", "b")).Text(), StringComparison.Ordinal);
            Assert.Equal("1", (await client.SendAsync("RAFTKV.LOCK.RELEASE", "job", "a")).Text());
        }

        await cluster.WaitForConvergenceAsync();
        await cluster.StopNodeAsync(leader.Index);
        var next = await cluster.WaitForLeaderAsync();

        // Through a follower too: the command is relayed to the new leader.
        var follower = cluster.Nodes.First(n => n.IsRunning && n.Index != next.Index);
        await using var viaFollower = await RespTestClient.ConnectAsync(follower.RespPort);
        // Again while CLUSTERDOWN (the new leader's first entries on a loaded machine): the same owner gets the same token.
        var second = long.Parse(await viaFollower.SendRetryingAsync("RAFTKV.LOCK.ACQUIRE", "job", "b", "10000") ?? "", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(second > first, $"token {second} after {first}");
        var owner = (ArrayReply)await viaFollower.SendAsync("RAFTKV.LOCK.OWNER", "job");
        Assert.Equal("b", owner.Items[0].Text());
        Assert.Equal(second.ToString(), owner.Items[1].Text());
        Assert.Single((await cluster.DigestsAsync()).Distinct());
    }

    [Fact]
    public async Task NewLeaderWithAClockAhead_NeverGrantsAHeldLockEarly()
    {
        // Long enough that the contender's attempts start before the lease ends on a loaded machine (at 4 s a failover
        // slower than 3.8 s left the loop below unrun), and the 3 s the other clocks run ahead fall inside it.
        const int ttlMs = 8000;
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var held = Stopwatch.StartNew();
        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
            Token(await client.SendAsync("RAFTKV.LOCK.ACQUIRE", "primary", "holder", ttlMs.ToString()));
        await cluster.WaitForConvergenceAsync();

        // The other nodes' clocks run 3 s ahead: by them, the holder's lease would end 3 s early.
        foreach (var node in cluster.Nodes.Where(n => n.Index != leader.Index))
            node.Clock.Offset = TimeSpan.FromSeconds(3);
        await cluster.StopNodeAsync(leader.Index);
        var next = await cluster.WaitForLeaderAsync();
        await using var contender = await RespTestClient.ConnectAsync(next.RespPort);

        // Until the holder's own lease (ttl from its acquire, real time) has surely run out, nobody else gets the lock.
        long lastAttempt = -1;
        while (held.ElapsedMilliseconds < ttlMs - 200)
        {
            lastAttempt = held.ElapsedMilliseconds;
            var reply = await contender.SendAsync("RAFTKV.LOCK.ACQUIRE", "primary", "contender", "1000");
            Assert.True(reply is ErrorReply, $"granted to another owner {held.ElapsedMilliseconds} ms into a {ttlMs} ms lease");
            await Task.Delay(100);
        }

        // At least one attempt where the other clocks already took the lease for ended (3 s early).
        Assert.True(lastAttempt > ttlMs - 3000, $"the last attempt was {lastAttempt} ms into the lease: none fell where a clock ahead would grant it");

        var owner = (ArrayReply)await contender.SendAsync("RAFTKV.LOCK.OWNER", "primary");
        Assert.Equal("holder", owner.Items[0].Text());
    }

    private static long Token(Reply reply) => reply is IntegerReply token ? token.Value : throw new Xunit.Sdk.XunitException($"not a token: {reply.Text()}");
}
