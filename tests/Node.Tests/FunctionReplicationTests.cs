using System.Text;
using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// Function libraries are replicated state on a real 3-node cluster: a library loaded on the leader is callable by FCALL
/// (and FCALL_RO) through a follower, every replica holds the same libraries (its own FUNCTION DUMP) and reaches the same digest after
/// FCALLs that iterate pairs() and draw from math.random, also after a follower restarts and replays its log and after
/// one installs a snapshot; FUNCTION DELETE reaches every replica.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FunctionReplicationTests
{
    private const string Library = """
        #!lua name=orders
        local function fill(keys, args)
          local t = {}
          for i = 1, 300 do t['member:' .. i .. ':' .. args[1]] = i end
          local order = {}
          for k in pairs(t) do order[#order + 1] = k end
          redis.call('rpush', keys[1], unpack(order))
          redis.call('set', keys[2], tostring(math.random()))
          return #order
        end
        redis.register_function('fill', fill)
        redis.register_function{function_name='peek', callback=function(keys) return redis.call('llen', keys[1]) end, flags={'no-writes'}}
        """;

    private static async Task FillAsync(RespTestClient client, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            var reply = await client.SendAsync("FCALL", "fill", "2", $"list{i}", $"float{i}", $"{i}");
            Assert.Equal(300, Assert.IsType<IntegerReply>(reply).Value);
        }
    }

    // FUNCTION DUMP of each running replica's own applied state (a client's FUNCTION DUMP is a read on the leader).
    private static List<string> LocalDumps(TestCluster cluster) =>
        cluster.Nodes.Where(static n => n.IsRunning)
            .Select(static n => n.Raft.StateMachine.Read(static store => store.Read(CommandId.Function, [Encoding.ASCII.GetBytes("DUMP")], store.Now)))
            .Select(static reply => Convert.ToHexString(Assert.IsType<BulkReply>(reply).Value))
            .ToList();

    private static async Task<List<string>> OnEveryNodeAsync(TestCluster cluster, params string[] command)
    {
        var replies = new List<string>();
        foreach (var node in cluster.Nodes.Where(static n => n.IsRunning))
        {
            await using var client = await RespTestClient.ConnectAsync(node.RespPort);
            replies.Add((await client.SendAsync(command)).ToString() ?? "");
        }

        return replies;
    }

    [Fact]
    public async Task LibraryLoadedOnTheLeader_RunsThroughAFollower_AndReplicasAgree_AfterRestartAndSnapshotInstall()
    {
        await using var cluster = await TestCluster.StartAsync(3, new() { ["SnapshotIntervalEntries"] = "30" });
        var leader = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            Assert.Equal("orders", (await client.SendAsync("FUNCTION", "LOAD", Library)).Text());
            await FillAsync(client, 0, 3);
        }

        var follower = cluster.Nodes.First(n => n != leader);
        await using (var client = await RespTestClient.ConnectAsync(follower.RespPort))
        {
            await FillAsync(client, 3, 2);
            Assert.Equal(300, Assert.IsType<IntegerReply>(await client.SendAsync("FCALL_RO", "peek", "1", "list3")).Value);
        }

        await cluster.WaitForConvergenceAsync();
        Assert.Single((await cluster.DigestsAsync()).Distinct());
        Assert.Single(LocalDumps(cluster).Distinct());
        Assert.True(LocalDumps(cluster)[0].Length > 20, "no library on the replicas");

        // A follower restarts and replays its own log (or restores its snapshot): its new Lua state compiles the library again.
        await cluster.StopNodeAsync(follower.Index);
        await cluster.StartNodeAsync(follower.Index);
        leader = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
            await FillAsync(client, 5, 2);
        await cluster.WaitForConvergenceAsync();
        Assert.Single((await cluster.DigestsAsync()).Distinct());

        // Another follower misses entries the leader compacts and catches up by installing a snapshot.
        var lagging = cluster.Nodes.First(n => n != leader && n.IsRunning);
        await cluster.StopNodeAsync(lagging.Index);
        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            await FillAsync(client, 7, 3);
            for (var i = 0; i < 60; i++)
                Assert.Equal("OK", await client.SendRetryingAsync("SET", $"filler{i}", "v"));
        }

        Assert.True(leader.Raft.StateMachine.SnapshotIndex > 0, "the leader took no snapshot");
        await cluster.StartNodeAsync(lagging.Index);
        await cluster.WaitForConvergenceAsync();
        Assert.True(lagging.Raft.StateMachine.RestoreCount > 0, "the follower caught up without installing a snapshot");
        await using (var client = await RespTestClient.ConnectAsync(lagging.RespPort))
            await FillAsync(client, 10, 2);
        await cluster.WaitForConvergenceAsync();
        Assert.Single((await cluster.DigestsAsync()).Distinct());
        Assert.Single(LocalDumps(cluster).Distinct());

        // FUNCTION DELETE through a follower reaches every replica.
        await using (var client = await RespTestClient.ConnectAsync(lagging.RespPort))
            Assert.Equal("OK", (await client.SendAsync("FUNCTION", "DELETE", "orders")).Text());
        await cluster.WaitForConvergenceAsync();
        Assert.All(LocalDumps(cluster), static dump => Assert.Equal(20, dump.Length));
        Assert.All(await OnEveryNodeAsync(cluster, "FCALL", "fill", "2", "a", "b", "c"),
            static reply => Assert.Contains("Function not found", reply, StringComparison.Ordinal));
    }

    [Fact]
    public async Task OverMaxMemory_DenyOomCommandsAndFunctionsWithoutAllowOom_AreRefused_AsRedisNoeviction()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        const string Code = """
            #!lua name=oom
            redis.register_function('plain', function(keys) return redis.call('set', keys[1], 'p') end)
            redis.register_function{function_name='allowed', callback=function(keys) return redis.call('set', keys[1], 'a') end, flags={'allow-oom'}}
            """;
        Assert.Equal("oom", (await client.SendAsync("FUNCTION", "LOAD", Code)).Text());
        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "maxmemory", "1")).Text());

        Assert.StartsWith("-OOM command not allowed", (await client.SendAsync("SET", "k", "v")).Text(), StringComparison.Ordinal);
        Assert.StartsWith("-OOM command not allowed", (await client.SendAsync("FCALL", "plain", "1", "k")).Text(), StringComparison.Ordinal);
        Assert.StartsWith("-OOM command not allowed", (await client.SendAsync("FUNCTION", "LOAD", "REPLACE", Code)).Text(), StringComparison.Ordinal);
        Assert.Equal("OK", (await client.SendAsync("FCALL", "allowed", "1", "k")).Text());
        Assert.Equal("1", (await client.SendAsync("DEL", "k")).Text());

        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "maxmemory", "0")).Text());
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "k", "v"));
    }

    // FCALL's function flags, read while an apply holds the state, are awaited: the session runs FCALL alone while memory
    // is over maxmemory, so a later pipelined write cannot reach the log before it (review of b2ca263: DEL k was applied
    // before the FCALL that set k, which then existed).
    [Fact]
    public async Task OverMaxMemory_APipelinedWriteAfterFcall_IsAppliedAfterIt_EvenWhileAnApplyHoldsTheState()
    {
        await using var cluster = TestCluster.Create(1);
        using var hold = ApplyHold.Install(cluster.Nodes[0]);
        await cluster.StartNodeAsync(0);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var other = await RespTestClient.ConnectAsync(leader.RespPort);
        const string Code = """
            #!lua name=order
            redis.register_function{function_name='allowed', callback=function(keys) return redis.call('set', keys[1], 'a') end, flags={'allow-oom'}}
            """;
        for (var i = 0; i < 100 && (await client.SendAsync("FUNCTION", "LOAD", "REPLACE", Code)).Text() != "order"; i++)
            await Task.Delay(100);
        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "maxmemory", "1")).Text());

        hold.HoldApply();
        var held = other.SendAsync("DEL", "unrelated");
        await hold.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        await client.SendRawAsync(Encoding.ASCII.GetBytes("*4\r\n$5\r\nFCALL\r\n$7\r\nallowed\r\n$1\r\n1\r\n$1\r\nk\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n"));
        await Task.Delay(300);
        hold.Release();
        await held.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("OK", (await client.ReadReplyAsync().WaitAsync(TimeSpan.FromSeconds(20))).Text());
        Assert.Equal("1", (await client.ReadReplyAsync().WaitAsync(TimeSpan.FromSeconds(20))).Text());
        Assert.Equal("0", (await client.SendAsync("EXISTS", "k")).Text());
    }
}
