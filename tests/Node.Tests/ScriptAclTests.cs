using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// A script's redis.call commands are checked against the user who sent it, on every replica at apply (the entry
/// carries the user) and on the leader for EVAL_RO: redis-server 7.0.15's words for user bob
/// <c>on &gt;123 +@scripting +set ~x*</c>.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ScriptAclTests
{
    private const string NoKey = "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments";
    private const string NoCommand = "ERR The user executing the script can't run this command or subcommand";

    private static string Error(Reply reply) => Assert.IsType<ErrorReply>(reply).Message;

    [Fact]
    public async Task RestrictedUser_ScriptWritesOnlyItsKeys_OnTheLeaderAndThroughAFollower_AndReplicasAgree()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using (var admin = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            Assert.Equal("OK", (await admin.SendAsync("ACL", "SETUSER", "bob", "on", ">123", "+@scripting", "+set", "~x*")).Text());
            Assert.Equal("OK", (await admin.SendAsync("ACL", "SETUSER", "tx", "on", ">123", "+@scripting", "+@transaction", "+set", "~x*")).Text());
        }

        await cluster.WaitForConvergenceAsync();

        var follower = cluster.Nodes.First(n => n != leader);
        foreach (var node in new[] { leader, follower })
        {
            await using var bob = await RespTestClient.ConnectAsync(node.RespPort);
            Assert.Equal("OK", (await bob.SendAsync("AUTH", "bob", "123")).Text());
            Assert.Equal("OK", (await bob.SendAsync("EVAL", "return redis.call('set', KEYS[1], 'v')", "1", "x" + node.Index)).Text());
            Assert.StartsWith(NoKey + " script: ", Error(await bob.SendAsync("EVAL", "return redis.call('set', 'y1', 'v')", "0")));
            Assert.StartsWith(NoCommand + " script: ", Error(await bob.SendAsync("EVAL", "return redis.call('hset', 'x9', 'f', 'v')", "0")));
            Assert.Equal(NoKey, (await bob.SendAsync("EVAL", "return redis.pcall('set', 'y1', 'v')['err']", "0")).Text());
            Assert.StartsWith(NoCommand + " script: ", Error(await bob.SendAsync("EVAL_RO", "return redis.call('get', 'x1')", "0")));

            // A script queued in MULTI runs as its user at EXEC too.
            await using var tx = await RespTestClient.ConnectAsync(node.RespPort);
            Assert.Equal("OK", (await tx.SendAsync("AUTH", "tx", "123")).Text());
            Assert.Equal("OK", (await tx.SendAsync("MULTI")).Text());
            Assert.Equal("QUEUED", (await tx.SendAsync("EVAL", "return redis.call('set', 'y3', 'v')", "0")).Text());
            var exec = Assert.IsType<ArrayReply>(await tx.SendAsync("EXEC"));
            Assert.StartsWith(NoKey + " script: ", Error(Assert.Single(exec.Items)));
        }

        await using (var admin = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            Assert.Equal("v", (await admin.SendAsync("GET", "x" + follower.Index)).Text());
            Assert.Equal("0", (await admin.SendAsync("EXISTS", "y1", "x9", "y3")).Text());
            // The default user (unrestricted) is not limited by bob's rules.
            Assert.Equal("OK", (await admin.SendAsync("EVAL", "return redis.call('set', 'y2', 'v')", "0")).Text());
        }

        var digests = await cluster.DigestsAsync();
        Assert.Equal(3, digests.Count);
        Assert.Single(digests.Distinct());
    }

    [Fact]
    public async Task ReadOnlyScriptsQueuedInMulti_CheckTheirCallsAgainstTheUser_AsOutsideATransaction()
    {
        // EVAL_RO, EVALSHA_RO and FCALL_RO queued in MULTI run at apply, in the transaction's entry: before, they ran
        // there without their user, so redis.call read any key (redis-server: the key error below).
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var admin = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await admin.SendAsync("SET", "secret", "s3cr3t")).Text());
        Assert.Equal("OK", (await admin.SendAsync("SET", "x1", "mine")).Text());
        var sha = (await admin.SendAsync("SCRIPT", "LOAD", "return redis.call('get', ARGV[1])")).Text();
        Assert.Equal("rolib", (await admin.SendAsync("FUNCTION", "LOAD",
            "#!lua name=rolib\nredis.register_function{function_name='rd', callback=function(keys, args) return redis.call('get', args[1]) end, flags={'no-writes'}}")).Text());
        Assert.Equal("OK", (await admin.SendAsync("ACL", "SETUSER", "ro", "on", ">123", "+@scripting", "+@transaction", "+get", "~x*")).Text());

        await using var ro = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await ro.SendAsync("AUTH", "ro", "123")).Text());
        Assert.Equal("OK", (await ro.SendAsync("MULTI")).Text());
        Assert.Equal("QUEUED", (await ro.SendAsync("EVAL_RO", "return redis.call('get', 'secret')", "0")).Text());
        Assert.Equal("QUEUED", (await ro.SendAsync("EVALSHA_RO", sha!, "0", "secret")).Text());
        Assert.Equal("QUEUED", (await ro.SendAsync("FCALL_RO", "rd", "0", "secret")).Text());
        Assert.Equal("QUEUED", (await ro.SendAsync("EVAL_RO", "return redis.call('get', 'x1')", "0")).Text());
        var exec = Assert.IsType<ArrayReply>(await ro.SendAsync("EXEC"));
        Assert.Equal(4, exec.Items.Count);
        for (var i = 0; i < 3; i++)
            Assert.StartsWith(NoKey + " script: ", Error(exec.Items[i]));
        Assert.Equal("mine", exec.Items[3].Text());
    }
}
