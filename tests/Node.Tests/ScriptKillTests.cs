using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// Long scripts run in slices decided by the log (Raft/KvStateMachine.Scripts.cs): a script longer than a slice keeps
/// its atomicity (a write sent meanwhile applies after it), the leader answers BUSY past busy-reply-threshold, SCRIPT
/// KILL / FUNCTION KILL stop a script that has not written (UNKILLABLE once it has, NOTBUSY when none runs), and every
/// replica reaches the same state, also a follower that restarts and replays the decisions from its log.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ScriptKillTests
{
    // About 60M instructions (a dozen slices), writing as it goes; its reply depends on every slice.
    private const string LongScript = """
        local n = 0
        for i = 1, 12000000 do
          n = (n * 31 + i) % 1000003
          if i % 1500000 == 0 then redis.call('rpush', KEYS[1], n) end
        end
        return n
        """;

    private static async Task<Reply> WaitForBusyAsync(RespTestClient client)
    {
        for (var i = 0; i < 200; i++)
        {
            var reply = await client.SendAsync("PING");
            if (reply is ErrorReply { Message: var message } && message.StartsWith("BUSY", StringComparison.Ordinal))
                return reply;
            await Task.Delay(25);
        }

        return Reply.Error("never busy");
    }

    // The long script has reached the log and ended its first slice: a write sent now comes after it in the log.
    private static async Task WaitForSuspensionAsync(TestNode leader)
    {
        for (var i = 0; i < 2000 && leader.Raft.StateMachine.Suspension is null; i++)
            await Task.Delay(5);
        Assert.NotNull(leader.Raft.StateMachine.Suspension);
    }

    // A read waits for idle while a long script runs; a second long script, deferred behind the first, suspends in its
    // turn as the first ends. The read used to wait on a signal nobody completed any more (until its command timeout,
    // then "-CLUSTERDOWN The read could not be confirmed"); it is answered once the second script ends too.
    [Fact]
    public async Task AReadWaitingForAScript_IsAnswered_WhenAnotherLongScriptQueuedBehindItEndsToo()
    {
        await using var cluster = await TestCluster.StartAsync(1, new() { ["CommandTimeoutMs"] = "120000" });
        var leader = await cluster.WaitForLeaderAsync();
        await using var first = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var second = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var reader = await RespTestClient.ConnectAsync(leader.RespPort);

        var one = first.SendAsync("EVAL", LongScript, "1", "one");
        await WaitForSuspensionAsync(leader);
        var two = second.SendAsync("EVAL", LongScript, "1", "two");
        await Task.Delay(200);
        var read = reader.SendAsync("LLEN", "one");
        Assert.IsType<IntegerReply>(await one.WaitAsync(TimeSpan.FromSeconds(110)));
        Assert.IsType<IntegerReply>(await two.WaitAsync(TimeSpan.FromSeconds(110)));
        Assert.Equal(":8", (await read.WaitAsync(TimeSpan.FromSeconds(30))).ToString());
    }

    // A long script that pushes to a key a client is blocked on ends in a decision entry, and a second long script is
    // queued behind it. The decision's reply was held for the woken client (BlockingWaiters), whose pop is queued behind
    // the second script, which needs the decider's next decision: nothing moved until the hold's bound (a quarter of
    // the command timeout, 60 s here). The decision's reply is never held.
    [Fact]
    public async Task AScriptThatWakesABlockedClient_DoesNotStallTheNextLongScript()
    {
        await using var cluster = await TestCluster.StartAsync(1, new() { ["CommandTimeoutMs"] = "240000" });
        var leader = await cluster.WaitForLeaderAsync();
        await using var blocked = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var first = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var second = await RespTestClient.ConnectAsync(leader.RespPort);

        var pop = blocked.SendAsync("BLPOP", "one", "0");
        await BlockedClients.WaitForAsync(first, 1);
        var one = first.SendAsync("EVAL", LongScript, "1", "one");
        await WaitForSuspensionAsync(leader);
        var two = second.SendAsync("EVAL", LongScript, "1", "two");
        Assert.IsType<IntegerReply>(await one.WaitAsync(TimeSpan.FromSeconds(110)));
        Assert.IsType<IntegerReply>(await two.WaitAsync(TimeSpan.FromSeconds(45)));
        Assert.StartsWith("[$one, ", (await pop.WaitAsync(TimeSpan.FromSeconds(30))).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContinuedAndKilledScripts_AgreeOnEveryReplica_AlsoAfterAFollowerRestartsAndReplays()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        await using var caller = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var other = await RespTestClient.ConnectAsync(leader.RespPort);

        // A write sent while the long script runs applies after it: it sees the whole script, never half of it.
        var running = caller.SendAsync("EVAL", LongScript, "1", "trace");
        await WaitForSuspensionAsync(leader);
        var deferred = await other.SendAsync("EVAL", "return redis.call('llen', KEYS[1])", "1", "trace");
        var result = await running;
        Assert.IsType<IntegerReply>(result);
        Assert.Equal(8, Assert.IsType<IntegerReply>(deferred).Value);
        Assert.Equal(8, Assert.IsType<IntegerReply>(await other.SendAsync("LLEN", "trace")).Value);

        // Past the threshold the leader answers BUSY; SCRIPT KILL stops a script that has not written.
        Assert.Equal("OK", (await other.SendAsync("CONFIG", "SET", "busy-reply-threshold", "10")).Text());
        Assert.Equal("NOTBUSY No scripts in execution right now.", Assert.IsType<ErrorReply>(await other.SendAsync("SCRIPT", "KILL")).Message);
        var endless = caller.SendAsync("EVAL", "local t = {} while true do t[#t % 100 + 1] = 1 end", "0");
        Assert.StartsWith("BUSY Redis is busy running a script. You can only call SCRIPT KILL",
            Assert.IsType<ErrorReply>(await WaitForBusyAsync(other)).Message, StringComparison.Ordinal);
        Assert.StartsWith("BUSY Redis is busy running a script. You can only call SCRIPT KILL",
            Assert.IsType<ErrorReply>(await other.SendAsync("FUNCTION", "KILL")).Message, StringComparison.Ordinal);
        Assert.Equal("OK", (await other.SendAsync("SCRIPT", "KILL")).Text());
        Assert.Equal("ERR Script killed by user with SCRIPT KILL...", Assert.IsType<ErrorReply>(await endless).Message);
        Assert.Equal("PONG", (await other.SendAsync("PING")).Text());

        // A script that wrote cannot be killed; it ends by its budget, its writes rolled back.
        var writer = caller.SendAsync("EVAL", "redis.call('set', 'written', '1') while true do end", "0");
        await WaitForBusyAsync(other);
        Assert.StartsWith("UNKILLABLE", Assert.IsType<ErrorReply>(await other.SendAsync("SCRIPT", "KILL")).Message, StringComparison.Ordinal);
        Assert.StartsWith("ERR Script exceeded the budget", Assert.IsType<ErrorReply>(await writer).Message, StringComparison.Ordinal);
        Assert.Equal(0, Assert.IsType<IntegerReply>(await other.SendAsync("EXISTS", "written")).Value);

        await cluster.WaitForConvergenceAsync();
        var digests = await cluster.DigestsAsync();
        Assert.Single(digests.Distinct());

        // A follower restarts and replays the scripts and the leader's decisions from its own log.
        var follower = cluster.Nodes.First(n => n != leader);
        await cluster.StopNodeAsync(follower.Index);
        await cluster.StartNodeAsync(follower.Index);
        leader = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
            Assert.Equal("OK", await client.SendRetryingAsync("SET", "after", "restart"));
        await cluster.WaitForConvergenceAsync();
        digests = await cluster.DigestsAsync();
        Assert.Single(digests.Distinct());
    }

    // A read pipelined after a write runs at its place in the group-commit entry (pipelining); while a long script is
    // suspended, that place is after the script, as for the write: the read must not run on the script's half-done state.
    [Fact]
    public async Task APipelinedReadAfterAWrite_WhileALongScriptRuns_SeesTheWholeScriptAndTheWrite()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        await using var caller = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var pipelining = await RespTestClient.ConnectAsync(leader.RespPort);

        var running = caller.SendAsync("EVAL", LongScript, "1", "trace");
        await WaitForSuspensionAsync(leader);
        await pipelining.SendRawAsync("RPUSH trace x\r\nLLEN trace\r\n"u8.ToArray());
        Assert.Equal(9, Assert.IsType<IntegerReply>(await pipelining.ReadReplyAsync()).Value);
        Assert.Equal(9, Assert.IsType<IntegerReply>(await pipelining.ReadReplyAsync()).Value);
        Assert.IsType<IntegerReply>(await running);
    }

    [Fact]
    public async Task ALongScriptEndsOnEveryFollower_AndItsMessageReachesAFollowersSubscriber()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var subscriber = await RespTestClient.ConnectAsync(follower.RespPort);
        Assert.IsType<ArrayReply>(await subscriber.SendAsync("SUBSCRIBE", "done"));
        await using var caller = await RespTestClient.ConnectAsync(leader.RespPort);

        // Several slices, then a message: a follower runs every slice the leader's decisions name and, when the script
        // ends there, delivers its message to its own subscribers with no later entry needed to flush it.
        var result = await caller.SendAsync("EVAL",
            LongScript.Replace("return n", "redis.call('publish', 'done', n) return n", StringComparison.Ordinal), "1", "trace");
        Assert.IsType<IntegerReply>(result);
        var message = await subscriber.ReadReplyAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(new[] { "message", "done", result.Text() },
            Assert.IsType<ArrayReply>(message).Items.Select(item => item.Text()).ToArray());
        for (var i = 0; i < 600 && follower.Raft.StateMachine.Suspension is not null; i++)
            await Task.Delay(50);
        Assert.Null(follower.Raft.StateMachine.Suspension);
        await using var reader = await RespTestClient.ConnectAsync(follower.RespPort);
        Assert.Equal(8, Assert.IsType<IntegerReply>(await reader.SendAsync("LLEN", "trace")).Value);
    }

    [Fact]
    public async Task ALongScriptSentThroughAFollower_IsAnsweredPastTheCommandTimeout()
    {
        // The script spends its whole budget (20 slices, each a committed decision): far longer than 400 ms.
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections(new() { ["CommandTimeoutMs"] = "400" }));
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await cluster.WaitForConvergenceAsync();
        await using var client = await RespTestClient.ConnectAsync(follower.RespPort);
        for (var i = 0; i < 100 && (await client.SendAsync("SET", "ready", "1")).Text() != "OK"; i++)
            await Task.Delay(100);
        // Its entry must commit within the 400 ms (then the script's own end answers it): on a loaded machine the commit
        // alone can take longer (CLUSTERDOWN, outcome unknown; CI beside stress-ng). Sent again, it queues behind the
        // first run if that one applied, and is answered when its own budget is spent.
        var reply = await client.SendAsync("EVAL", "local i = 0 while true do i = i + 1 end", "0");
        for (var attempt = 0; attempt < 5 && reply is ErrorReply { Message: var unknown } && unknown.StartsWith("CLUSTERDOWN", StringComparison.Ordinal); attempt++)
            reply = await client.SendAsync("EVAL", "local i = 0 while true do i = i + 1 end", "0");
        Assert.StartsWith("ERR Script exceeded the budget", Assert.IsType<ErrorReply>(reply).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FunctionKill_StopsALongFunction_AndScriptKillRefusesIt()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var caller = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var other = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("test", (await caller.SendAsync("FUNCTION", "LOAD",
            "#!lua name=test\nredis.register_function('spin', function() local i = 0 while true do i = i + 1 end end)")).Text());
        Assert.Equal("OK", (await other.SendAsync("CONFIG", "SET", "lua-time-limit", "10")).Text());
        var spinning = caller.SendAsync("FCALL", "spin", "0");
        var busy = await WaitForBusyAsync(other);
        Assert.StartsWith("BUSY Redis is busy running a script. You can only call FUNCTION KILL", Assert.IsType<ErrorReply>(busy).Message, StringComparison.Ordinal);
        Assert.StartsWith("BUSY Redis is busy running a script. You can only call FUNCTION KILL",
            Assert.IsType<ErrorReply>(await other.SendAsync("SCRIPT", "KILL")).Message, StringComparison.Ordinal);
        // FUNCTION STATS answers at once while the function runs, naming it (the suite's 'test function kill').
        var stats = Assert.IsType<ArrayReply>(await other.SendAsync("FUNCTION", "STATS")).Items.Select(item => item.Text()).ToList();
        Assert.Equal("running_script", stats[0]);
        Assert.StartsWith("[$name, $spin, $command, [$fcall, $spin, $0], $duration_ms, :", stats[1], StringComparison.Ordinal);
        Assert.Equal("OK", (await other.SendAsync("FUNCTION", "KILL")).Text());
        Assert.Contains("killed by user", Assert.IsType<ErrorReply>(await spinning).Message, StringComparison.Ordinal);
        Assert.Equal("PONG", (await other.SendAsync("PING")).Text());
    }
}
