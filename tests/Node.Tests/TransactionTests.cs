using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>MULTI / EXEC / DISCARD / WATCH through real nodes: Redis 7.0's answers, one log entry, every replica alike.</summary>
[Collection(ClusterCollection.Name)]
public sealed class TransactionTests
{
    // Issue 13's unsafe bug: MULTI was an unknown command and the "queued" writes ran at once.
    [Fact]
    public async Task QueuedWrites_ApplyOnlyAtExec_AndNotBefore()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var other = await RespTestClient.ConnectAsync(leader.RespPort);

        Assert.Equal("OK", (await client.SendAsync("MULTI")).Text());
        Assert.Equal("QUEUED", (await client.SendAsync("SET", "k", "v")).Text());
        Assert.Equal("QUEUED", (await client.SendAsync("INCR", "n")).Text());
        Assert.Null((await other.SendAsync("GET", "k")).Text());
        var exec = Assert.IsType<ArrayReply>(await client.SendAsync("EXEC"));
        Assert.Equal(["OK", "1"], exec.Items.Select(static r => r.Text()));
        Assert.Equal("v", (await other.SendAsync("GET", "k")).Text());
    }

    [Fact]
    public async Task QueueTimeError_AbortsExec_AndAppliesNothing()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        await client.SendAsync("MULTI");
        Assert.Equal("QUEUED", (await client.SendAsync("SET", "a", "1")).Text());
        Assert.StartsWith("-ERR unknown command", (await client.SendAsync("NOSUCHCOMMAND")).Text());
        Assert.StartsWith("-ERR wrong number of arguments", (await client.SendAsync("GET")).Text());
        Assert.Equal("QUEUED", (await client.SendAsync("SET", "b", "2")).Text());
        Assert.Equal("-EXECABORT Transaction discarded because of previous errors.", (await client.SendAsync("EXEC")).Text());
        Assert.Equal("0", (await client.SendAsync("EXISTS", "a", "b")).Text());
        Assert.Equal("PONG", (await client.SendAsync("PING")).Text());
    }

    // unit/multi "EXEC fails if there are errors while queueing commands #2" and "DISCARD should not fail during OOM": a
    // denyoom command queued while memory is above maxmemory is refused at queue time, as Redis refuses it, and flags
    // the transaction; DISCARD still works.
    [Fact]
    public async Task DenyOomCommand_QueuedAboveMaxmemory_IsRefused_AndExecAborts()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "maxmemory", "1")).Text());
        try
        {
            await client.SendAsync("MULTI");
            Assert.StartsWith("-OOM", (await client.SendAsync("SET", "x", "1")).Text());
            Assert.Equal("QUEUED", (await client.SendAsync("GET", "x")).Text());
            Assert.StartsWith("-EXECABORT", (await client.SendAsync("EXEC")).Text());
            await client.SendAsync("MULTI");
            Assert.StartsWith("-OOM", (await client.SendAsync("SET", "x", "1")).Text());
            Assert.Equal("OK", (await client.SendAsync("DISCARD")).Text());
        }
        finally
        {
            await client.SendAsync("CONFIG", "SET", "maxmemory", "0");
        }

        Assert.Equal("0", (await client.SendAsync("EXISTS", "x")).Text());
    }

    // unit/multi "EXEC with at least one use-memory command should fail": memory goes over maxmemory after the denyoom
    // command was queued; EXEC is refused (EXECABORT ... OOM, as Redis's processCommand) and applies nothing.
    [Fact]
    public async Task Exec_WithADenyOomCommandQueued_WhenMemoryIsNowAboveMaxmemory_AbortsWithOom()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var other = await RespTestClient.ConnectAsync(leader.RespPort);

        Assert.Equal("OK", (await client.SendAsync("MULTI")).Text());
        Assert.Equal("QUEUED", (await client.SendAsync("SET", "x", "1")).Text());
        Assert.Equal("QUEUED", (await client.SendAsync("GET", "x")).Text());
        Assert.Equal("OK", (await other.SendAsync("CONFIG", "SET", "maxmemory", "1")).Text());
        try
        {
            var exec = (await client.SendAsync("EXEC")).Text();
            Assert.StartsWith("-EXECABORT Transaction discarded because of: OOM", exec);
        }
        finally
        {
            await other.SendAsync("CONFIG", "SET", "maxmemory", "0");
        }

        Assert.Equal("0", (await client.SendAsync("EXISTS", "x")).Text());
        Assert.StartsWith("-ERR EXEC without MULTI", (await client.SendAsync("EXEC")).Text());
    }

    // unit/scripting "Script - disallow write on OOM": memory above maxmemory when the script was proposed (the bit
    // travels in its entry) refuses its first denyoom command (a script without a shebang), or the whole script (one
    // with a shebang that may write); reads and no-writes scripts run. The test aborted unit/scripting before.
    [Fact]
    public async Task Script_AboveMaxmemory_IsRefusedItsFirstDenyOomCommand_OnEveryReplicaAlike()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        Assert.Equal("OK", await client.SendRetryingAsync("SET", "x", "before"));
        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "maxmemory", "1")).Text());
        try
        {
            Assert.StartsWith("OOM command not allowed when used memory",
                Assert.IsType<ErrorReply>(await client.SendAsync("EVAL", "redis.call('set', 'x', 1)", "0")).Message, StringComparison.Ordinal);
            Assert.Equal("before", (await client.SendAsync("EVAL", "return redis.call('get', 'x')", "0")).Text());
            Assert.StartsWith("OOM command not allowed when used memory",
                Assert.IsType<ErrorReply>(await client.SendAsync("EVAL", "#!lua\nreturn 1", "0")).Message, StringComparison.Ordinal);
            Assert.Equal("1", (await client.SendAsync("EVAL", "#!lua flags=no-writes\nreturn 1", "0")).Text());
            Assert.Equal("OK", (await client.SendAsync("EVAL", "#!lua flags=allow-oom\nreturn redis.call('set', 'y', 1)", "0")).Text());
        }
        finally
        {
            await client.SendAsync("CONFIG", "SET", "maxmemory", "0");
        }

        Assert.Equal("before", (await client.SendAsync("GET", "x")).Text());
        Assert.Equal("OK", (await client.SendAsync("EVAL", "return redis.call('set', 'x', 1)", "0")).Text());
        await cluster.WaitForConvergenceAsync();
        Assert.Single((await cluster.DigestsAsync()).Distinct());
    }

    [Fact]
    public async Task TransactionErrors_UseRedisWords()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        Assert.Equal("-ERR EXEC without MULTI", (await client.SendAsync("EXEC")).Text());
        Assert.Equal("-ERR DISCARD without MULTI", (await client.SendAsync("DISCARD")).Text());
        await client.SendAsync("MULTI");
        Assert.Equal("-ERR MULTI calls can not be nested", (await client.SendAsync("MULTI")).Text());
        Assert.Equal("-ERR WATCH inside MULTI is not allowed", (await client.SendAsync("WATCH", "x")).Text());
        Assert.Equal("QUEUED", (await client.SendAsync("UNWATCH")).Text());
        Assert.Equal("QUEUED", (await client.SendAsync("ECHO", "e")).Text());
        Assert.Equal(["OK", "e"], Assert.IsType<ArrayReply>(await client.SendAsync("EXEC")).Items.Select(static r => r.Text()));
        await client.SendAsync("MULTI");
        Assert.Equal("OK", (await client.SendAsync("DISCARD")).Text());
        Assert.Equal("OK", (await client.SendAsync("UNWATCH")).Text());

        // RESET inside MULTI runs at once and ends the transaction, as in Redis.
        await client.SendAsync("MULTI");
        await client.SendAsync("SET", "r", "1");
        Assert.Equal("RESET", (await client.SendAsync("RESET")).Text());
        Assert.Equal("-ERR EXEC without MULTI", (await client.SendAsync("EXEC")).Text());
        Assert.Equal("0", (await client.SendAsync("EXISTS", "r")).Text());
    }

    [Fact]
    public async Task RuntimeError_AppearsInsideExec_WhileTheRestApplies()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        await client.SendAsync("SET", "s", "text");
        await client.SendAsync("MULTI");
        await client.SendAsync("LPUSH", "s", "x");
        await client.SendAsync("SET", "after", "1");
        await client.SendAsync("GET", "after");
        var exec = Assert.IsType<ArrayReply>(await client.SendAsync("EXEC"));
        Assert.StartsWith("-WRONGTYPE", exec.Items[0].Text());
        Assert.Equal("OK", exec.Items[1].Text());
        Assert.Equal("1", exec.Items[2].Text());
    }

    [Fact]
    public async Task WatchedKey_ChangedByAnotherClient_ExecAnswersNullAndAppliesNothing()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var other = await RespTestClient.ConnectAsync(leader.RespPort);

        await client.SendAsync("SET", "w", "1");
        Assert.Equal("OK", (await client.SendAsync("WATCH", "w", "missing")).Text());
        await other.SendAsync("SET", "w", "2");
        await client.SendAsync("MULTI");
        await client.SendAsync("SET", "w", "mine");
        Assert.IsType<NullReply>(await client.SendAsync("EXEC"));
        Assert.Equal("2", (await client.SendAsync("GET", "w")).Text());

        // The watch ended with EXEC: the same transaction now applies.
        await client.SendAsync("MULTI");
        await client.SendAsync("SET", "w", "mine");
        Assert.IsType<ArrayReply>(await client.SendAsync("EXEC"));
        Assert.Equal("mine", (await client.SendAsync("GET", "w")).Text());
    }

    [Fact]
    public async Task Transaction_ThroughAFollower_AppliesOnEveryReplica_WithEqualDigests()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var client = await RespTestClient.ConnectAsync(follower.RespPort);

        Assert.Equal("OK", (await client.SendAsync("WATCH", "f")).Text());
        await client.SendAsync("MULTI");
        Assert.Equal("QUEUED", (await client.SendAsync("SET", "f", "1")).Text());
        Assert.Equal("QUEUED", (await client.SendAsync("RPUSH", "l", "a", "b")).Text());
        Assert.Equal("QUEUED", (await client.SendAsync("LRANGE", "l", "0", "-1")).Text());
        Assert.Equal("QUEUED", (await client.SendAsync("PING")).Text());
        var exec = Assert.IsType<ArrayReply>(await client.SendAsync("EXEC"));
        Assert.Equal(4, exec.Items.Count);
        Assert.Equal("OK", exec.Items[0].Text());
        Assert.Equal("2", exec.Items[1].Text());
        Assert.Equal(["a", "b"], Assert.IsType<ArrayReply>(exec.Items[2]).Items.Select(static r => r.Text()));
        Assert.Equal("PONG", exec.Items[3].Text());

        // A queue-time error found on the follower: nothing reaches the leader.
        await client.SendAsync("MULTI");
        await client.SendAsync("SET", "g", "1");
        await client.SendAsync("SET");
        Assert.StartsWith("-EXECABORT", (await client.SendAsync("EXEC")).Text());

        var digests = await cluster.DigestsAsync();
        Assert.Equal(3, digests.Count);
        Assert.Single(digests.Distinct());
        await using var onLeader = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("1", (await onLeader.SendAsync("GET", "f")).Text());
        Assert.Equal("0", (await onLeader.SendAsync("EXISTS", "g")).Text());
    }

    [Fact]
    public async Task BlockingCommandInsideMulti_NeverBlocks_AndPublishReachesASubscriberOnAFollower()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var subscriber = await RespTestClient.ConnectAsync(follower.RespPort);
        Assert.IsType<ArrayReply>(await subscriber.SendAsync("SUBSCRIBE", "news"));
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        await client.SendAsync("MULTI");
        await client.SendAsync("BLPOP", "empty", "0");
        await client.SendAsync("PUBLISH", "news", "hello");
        await client.SendAsync("RPUSH", "empty", "x");
        await client.SendAsync("BLPOP", "empty", "0");
        var exec = Assert.IsType<ArrayReply>(await client.SendAsync("EXEC"));
        Assert.IsType<NullReply>(exec.Items[0]);
        Assert.Equal("1", exec.Items[2].Text());
        Assert.Equal(["empty", "x"], Assert.IsType<ArrayReply>(exec.Items[3]).Items.Select(static r => r.Text()));

        var message = Assert.IsType<ArrayReply>(await subscriber.ReadReplyAsync());
        Assert.Equal(["message", "news", "hello"], message.Items.Select(static r => r.Text()));
    }

    [Fact]
    public async Task Exec_UnderResp3_AnswersAnArray_OrTheNullOnAConflict()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var other = await RespTestClient.ConnectAsync(leader.RespPort);
        await client.SendAsync("HELLO", "3");

        await client.SendAsync("MULTI");
        Assert.IsType<ArrayReply>(await client.SendAsync("EXEC"));
        await client.SendAsync("WATCH", "k");
        await other.SendAsync("SET", "k", "1");
        await client.SendAsync("MULTI");
        await client.SendAsync("HSET", "h", "f", "v");
        await client.SendAsync("HGETALL", "h");
        Assert.IsType<NullReply>(await client.SendAsync("EXEC"));
        await client.SendAsync("MULTI");
        await client.SendAsync("HSET", "h", "f", "v");
        await client.SendAsync("HGETALL", "h");
        var exec = Assert.IsType<ArrayReply>(await client.SendAsync("EXEC"));
        Assert.IsType<MapReply>(exec.Items[1]);
    }

    [Fact]
    public async Task WatchThroughAFollower_ConflictWithAWriteOnTheLeader_ExecAnswersNull()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var client = await RespTestClient.ConnectAsync(follower.RespPort);
        await using var other = await RespTestClient.ConnectAsync(leader.RespPort);

        await client.SendAsync("SET", "fw", "1");
        Assert.Equal("OK", (await client.SendAsync("WATCH", "fw")).Text());
        await other.SendAsync("SET", "fw", "2");
        await client.SendAsync("MULTI");
        await client.SendAsync("SET", "fw", "mine");
        Assert.IsType<NullReply>(await client.SendAsync("EXEC"));
        Assert.Equal("2", (await other.SendAsync("GET", "fw")).Text());

        // Without a conflict the watched transaction applies, and UNWATCH releases the leader-side watch.
        Assert.Equal("OK", (await client.SendAsync("WATCH", "fw")).Text());
        await client.SendAsync("MULTI");
        await client.SendAsync("SET", "fw", "mine");
        Assert.IsType<ArrayReply>(await client.SendAsync("EXEC"));
        Assert.Equal("OK", (await client.SendAsync("WATCH", "fw")).Text());
        Assert.Equal("OK", (await client.SendAsync("UNWATCH")).Text());
        await other.SendAsync("SET", "fw", "3");
        await client.SendAsync("MULTI");
        await client.SendAsync("INCR", "counter");
        Assert.IsType<ArrayReply>(await client.SendAsync("EXEC"));
    }

    // Found by the differential test: Redis 7.0 checks a subcommand's arity before queueing (EXECABORT), but a
    // command's own argument checks (MSET's pairs, SET's options) only inside EXEC.
    [Fact]
    public async Task SubcommandArity_IsAQueueTimeError_ButACommandsOwnArgumentErrorsAppearInsideExec()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        await client.SendAsync("MULTI");
        Assert.Equal("QUEUED", (await client.SendAsync("MSET", "a", "b", "c")).Text());
        Assert.Equal("QUEUED", (await client.SendAsync("SET", "x", "1", "EX")).Text());
        Assert.Equal("QUEUED", (await client.SendAsync("SET", "y", "1")).Text());
        var exec = Assert.IsType<ArrayReply>(await client.SendAsync("EXEC"));
        Assert.Equal(["-ERR wrong number of arguments for 'mset' command", "-ERR syntax error", "OK"], exec.Items.Select(static r => r.Text()));

        await client.SendAsync("MULTI");
        Assert.Equal("-ERR wrong number of arguments for 'xgroup|delconsumer' command", (await client.SendAsync("XGROUP", "DELCONSUMER", "s", "g")).Text());
        Assert.StartsWith("-EXECABORT", (await client.SendAsync("EXEC")).Text());
    }

    // Revisions and tombstones are replicated state: a follower that caught up from a snapshot checks the EXEC
    // entry's conditions against the revisions it loaded and must decide as the replicas that replayed the log.
    [Fact]
    public async Task FollowerThatInstalledASnapshot_DecidesExecAsTheReplicasThatReplayedTheLog()
    {
        await using var cluster = await TestCluster.StartAsync(3, new() { ["SnapshotIntervalEntries"] = "20" });
        var leader = await cluster.WaitForLeaderAsync();
        var lagging = cluster.Nodes.First(n => n != leader);
        await cluster.StopNodeAsync(lagging.Index);
        await using (var writer = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            await writer.SendAsync("SET", "w", "1");
            await writer.SendAsync("SET", "gone", "1");
            await writer.SendAsync("DEL", "gone");
            for (var i = 0; i < 100; i++)
                Assert.Equal("OK", await writer.SendRetryingAsync("SET", $"filler{i % 17}", $"v{i}"));
        }

        Assert.True(leader.Raft.StateMachine.SnapshotIndex > 0, "the leader took no snapshot");
        await cluster.StartNodeAsync(lagging.Index);
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        Assert.True(lagging.Raft.StateMachine.RestoreCount >= 1, "the follower did not install a snapshot");

        leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var other = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await client.SendAsync("WATCH", "w", "gone")).Text());
        await client.SendAsync("MULTI");
        await client.SendAsync("SET", "held", "1");
        Assert.IsType<ArrayReply>(await client.SendAsync("EXEC"));

        await client.SendAsync("WATCH", "w");
        await other.SendAsync("SET", "w", "2");
        await client.SendAsync("MULTI");
        await client.SendAsync("SET", "failed", "1");
        Assert.IsType<NullReply>(await client.SendAsync("EXEC"));

        var digests = await cluster.DigestsAsync();
        Assert.Equal(3, digests.Count);
        Assert.Single(digests.Distinct());
    }

    // Pipelined writes run concurrently on the leader; inside MULTI they must be queued in order, and EXEC must see
    // every command sent before it.
    [Fact]
    public async Task PipelinedTransaction_InOneWrite_QueuesInOrder_AndExecSeesEverythingBeforeIt()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        var frame = new System.Text.StringBuilder();
        void Command(params string[] args)
        {
            frame.Append('*').Append(args.Length).Append("\r\n");
            foreach (var arg in args)
                frame.Append('$').Append(arg.Length).Append("\r\n").Append(arg).Append("\r\n");
        }

        for (var i = 0; i < 20; i++)
            Command("INCR", "p");
        Command("MULTI");
        for (var i = 0; i < 20; i++)
            Command("INCR", "p");
        Command("GET", "p");
        Command("EXEC");
        Command("GET", "p");
        await client.SendRawAsync(System.Text.Encoding.ASCII.GetBytes(frame.ToString()));

        for (var i = 1; i <= 20; i++)
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (await client.ReadReplyAsync()).Text());
        Assert.Equal("OK", (await client.ReadReplyAsync()).Text());
        for (var i = 0; i < 21; i++)
            Assert.Equal("QUEUED", (await client.ReadReplyAsync()).Text());
        var exec = Assert.IsType<ArrayReply>(await client.ReadReplyAsync());
        Assert.Equal(Enumerable.Range(21, 20).Select(static i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append("40"),
            exec.Items.Select(static r => r.Text()));
        Assert.Equal("40", (await client.ReadReplyAsync()).Text());
    }

    // As Redis: under CLIENT PAUSE WRITE an EXEC holding a write waits for the pause to end; a read-only one does not.
    [Fact]
    public async Task ExecWithAWrite_WaitsForClientPauseWrite_AReadOnlyExecDoesNot()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var admin = await RespTestClient.ConnectAsync(leader.RespPort);

        await client.SendAsync("MULTI");
        await client.SendAsync("SET", "paused", "1");
        Assert.Equal("OK", (await admin.SendAsync("CLIENT", "PAUSE", "60000", "WRITE")).Text());
        var exec = client.SendAsync("EXEC");
        await Task.Delay(300);
        Assert.False(exec.IsCompleted);
        Assert.Equal("0", (await admin.SendAsync("EXISTS", "paused")).Text());
        Assert.Equal("OK", (await admin.SendAsync("CLIENT", "UNPAUSE")).Text());
        Assert.Equal(["OK"], Assert.IsType<ArrayReply>(await exec).Items.Select(static r => r.Text()));

        Assert.Equal("OK", (await admin.SendAsync("CLIENT", "PAUSE", "60000", "WRITE")).Text());
        await client.SendAsync("MULTI");
        await client.SendAsync("GET", "paused");
        await client.SendAsync("PING");
        Assert.Equal(["1", "PONG"], Assert.IsType<ArrayReply>(await client.SendAsync("EXEC")).Items.Select(static r => r.Text()));
        await admin.SendAsync("CLIENT", "UNPAUSE");
    }

    [Fact]
    public async Task CommandsRunByExec_CountInCommandStats()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        await client.SendAsync("CONFIG", "RESETSTAT");
        await client.SendAsync("MULTI");
        await client.SendAsync("SET", "s", "1");
        await client.SendAsync("GEOADD", "g", "0", "0", "m");
        await client.SendAsync("PING");
        await client.SendAsync("EXEC");
        var stats = (await client.SendAsync("INFO", "commandstats")).Text()!;
        foreach (var command in new[] { "multi", "exec", "set", "geoadd", "ping" })
            Assert.Contains($"cmdstat_{command}:calls=1,", stats, StringComparison.Ordinal);
    }
}
