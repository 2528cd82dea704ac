using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// Scripts run at apply on every replica: replicas agree (DEBUG DIGEST) although Lua's hash order and random seed differ
/// between processes, also after a follower restarts and replays its log or installs a snapshot; the script cache is
/// replicated state (a script loaded on the leader runs by SHA through a follower, after a restart and a snapshot
/// install); a script stopped by its budget leaves nothing behind on any replica; a script's PUBLISH reaches
/// subscribers on every node.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ScriptReplicationTests
{
    // Iterates pairs() over hundreds of string keys and writes in that order, and draws from math.random.
    private const string OrderScript = """
        local t = {}
        for i = 1, 400 do t['member:' .. i .. ':' .. ARGV[1]] = i end
        local order = {}
        for k, v in pairs(t) do order[#order + 1] = k end
        redis.call('rpush', KEYS[1], unpack(order))
        for i = 1, 20 do redis.call('hset', KEYS[2], 'r' .. i, math.random(1000000000)) end
        redis.call('set', KEYS[3], tostring(math.random()))
        return #order
        """;

    private static string Items(Reply reply) => reply switch
    {
        ArrayReply array => string.Join(' ', array.Items.Select(static i => i.Text())),
        PushReply push => string.Join(' ', push.Items.Select(static i => i.Text())),
        _ => reply.Text() ?? "(nil)",
    };

    // Runs the order script on whichever node leads: a leader change on a busy machine (an election after a restart)
    // answers CLUSTERDOWN with an unknown outcome, and the script is sent again to the new leader. Replicas must agree
    // whether the first try applied or not, so a second run changes nothing the test checks.
    private static async Task RunOrderScriptsAsync(TestCluster cluster, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            Reply reply = Reply.Error("ERR not sent");
            for (var attempt = 0; attempt < 10; attempt++)
            {
                var leader = await cluster.WaitForLeaderAsync();
                await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
                reply = await client.SendAsync("EVAL", OrderScript, "3", $"order{i}", $"random{i}", $"float{i}", $"{i}");
                if (reply is not ErrorReply error || !(error.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
                                                        || error.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)))
                    break;
                await Task.Delay(200);
            }

            Assert.True(reply is IntegerReply { Value: 400 }, $"script {i} answered {reply}");
        }
    }

    [Fact]
    public async Task PairsOrderAndRandomness_AgreeOnEveryReplica_AlsoAfterARestartReplayAndASnapshotInstall()
    {
        await using var cluster = await TestCluster.StartAsync(3, new() { ["SnapshotIntervalEntries"] = "30" });
        var leader = await cluster.WaitForLeaderAsync();
        await RunOrderScriptsAsync(cluster, 0, 5);

        var digests = await cluster.DigestsAsync();
        Assert.Single(digests.Distinct());
        Assert.NotEqual(new string('0', 40), digests[0]);

        // A follower restarts and replays (or restores and replays) its own log: its fresh Lua state has another seed.
        var follower = cluster.Nodes.First(n => n != leader);
        await cluster.StopNodeAsync(follower.Index);
        await cluster.StartNodeAsync(follower.Index);
        await RunOrderScriptsAsync(cluster, 5, 3);
        leader = await cluster.WaitForLeaderAsync();
        digests = await cluster.DigestsAsync();
        Assert.Single(digests.Distinct());

        // Another follower misses entries the leader compacts and catches up by installing a snapshot.
        var lagging = cluster.Nodes.First(n => n != leader && n.IsRunning);
        await cluster.StopNodeAsync(lagging.Index);
        await RunOrderScriptsAsync(cluster, 8, 5);
        leader = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            for (var i = 0; i < 60; i++)
                Assert.Equal("OK", await client.SendRetryingAsync("SET", $"filler{i}", "v"));
        }

        Assert.True(leader.Raft.StateMachine.SnapshotIndex > 0, "the leader took no snapshot");
        await cluster.StartNodeAsync(lagging.Index);
        await cluster.WaitForConvergenceAsync();
        Assert.True(lagging.Raft.StateMachine.RestoreCount > 0, "the follower caught up without installing a snapshot");
        await RunOrderScriptsAsync(cluster, 13, 2);

        digests = await cluster.DigestsAsync();
        Assert.Single(digests.Distinct());
    }

    [Fact]
    public async Task ScriptLoadedOnTheLeader_RunsBySha_ThroughAFollower_AfterARestart_AndAfterASnapshotInstall()
    {
        await using var cluster = await TestCluster.StartAsync(3, new() { ["SnapshotIntervalEntries"] = "20" });
        var leader = await cluster.WaitForLeaderAsync();
        string sha;
        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            sha = (await client.SendAsync("SCRIPT", "LOAD", "return redis.call('incr', KEYS[1])")).Text()!;
            Assert.Equal(40, sha.Length);
        }

        var follower = cluster.Nodes.First(n => n != leader);
        await cluster.WaitForConvergenceAsync();
        await using (var client = await RespTestClient.ConnectAsync(follower.RespPort))
        {
            Assert.Equal("1", Items(await client.SendAsync("SCRIPT", "EXISTS", sha)));
            Assert.Equal(1, Assert.IsType<IntegerReply>(await client.SendAsync("EVALSHA", sha, "1", "counter")).Value);
        }

        // Restart: the cache comes back from the follower's own log (or snapshot).
        await cluster.StopNodeAsync(follower.Index);
        await cluster.StartNodeAsync(follower.Index);
        leader = await cluster.WaitForLeaderAsync();
        await cluster.WaitForConvergenceAsync();
        Assert.Equal(1, follower.Raft.StateMachine.Read(s => s.CachedScriptCount));

        // Snapshot install: a node that missed the load catches up from the leader's snapshot.
        var lagging = cluster.Nodes.First(n => n != leader && n.IsRunning);
        await cluster.StopNodeAsync(lagging.Index);
        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            Assert.Equal("OK", (await client.SendAsync("SCRIPT", "FLUSH")).Text());
            sha = (await client.SendAsync("SCRIPT", "LOAD", "return 'after-flush'")).Text()!;
            for (var i = 0; i < 60; i++)
                Assert.Equal("OK", await client.SendRetryingAsync("SET", $"filler{i}", "v"));
        }

        await cluster.StartNodeAsync(lagging.Index);
        await cluster.WaitForConvergenceAsync();
        Assert.True(lagging.Raft.StateMachine.RestoreCount > 0, "the follower caught up without installing a snapshot");
        Assert.Equal(1, lagging.Raft.StateMachine.Read(s => s.CachedScriptCount));
        leader = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(lagging.RespPort))
            Assert.Equal("after-flush", (await client.SendAsync("EVALSHA", sha, "0")).Text());
    }

    [Fact]
    public async Task EndlessAndHugeScripts_AnswerErrors_LeaveNothingBehind_AndTheClusterServesOn()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "k", "before"));

        var endless = await client.SendAsync("EVAL", "redis.call('set', 'k', 'during') redis.call('set', 'other', 'x') while true do end", "0");
        Assert.StartsWith("ERR Script exceeded the budget", Assert.IsType<ErrorReply>(endless).Message, StringComparison.Ordinal);

        var huge = await client.SendAsync("EVAL", "redis.call('del', 'k') local s = string.rep('x', 1024 * 1024 * 1024) return #s", "0");
        Assert.StartsWith("ERR Script exceeded the memory limit", Assert.IsType<ErrorReply>(huge).Message, StringComparison.Ordinal);

        Assert.Equal("before", (await client.SendAsync("GET", "k")).Text());
        Assert.Equal(0, Assert.IsType<IntegerReply>(await client.SendAsync("EXISTS", "other")).Value);
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "next", "served"));
        var digests = await cluster.DigestsAsync();
        Assert.Single(digests.Distinct());
    }

    [Fact]
    public async Task EvalshaOfAnUnknownScript_AnswersNoscript_AndEvalRoRefusesWrites()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("NOSCRIPT No matching script. Please use EVAL.",
            Assert.IsType<ErrorReply>(await client.SendAsync("EVALSHA", "ffd632c7d33e571e9f24556ebed26c3479a87130", "0")).Message);
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "k", "v"));
        Assert.Equal("v", (await client.SendAsync("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k")).Text());
        Assert.StartsWith("ERR Write commands are not allowed from read-only scripts.",
            Assert.IsType<ErrorReply>(await client.SendAsync("EVAL_RO", "return redis.call('del', KEYS[1])", "1", "k")).Message, StringComparison.Ordinal);
        Assert.Equal("0", Items(await client.SendAsync("SCRIPT", "EXISTS", "ffd632c7d33e571e9f24556ebed26c3479a87130")));
    }

    [Fact]
    public async Task PublishFromAScript_ReachesSubscribersOnEveryNode()
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
                Assert.Equal("subscribe news 1", Items(await subscriber.SendAsync("SUBSCRIBE", "news")));
            }

            await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
            Assert.Equal(0, Assert.IsType<IntegerReply>(await client.SendAsync("EVAL", "return redis.call('publish', 'news', ARGV[1])", "0", "hello")).Value);
            foreach (var subscriber in subscribers)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                Assert.Equal("message news hello", Items(await subscriber.ReadReplyAsync().WaitAsync(timeout.Token)));
            }
        }
        finally
        {
            foreach (var subscriber in subscribers)
                await subscriber.DisposeAsync();
        }
    }
}
