using System.Text;
using Microsoft.Extensions.DependencyInjection;
using RaftKV.Node.Raft;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Per-connection pipelining (issue 12, bug 3; issue 17's SET -P 16): a connection's writes go to the log without
/// waiting for each other's commit, and a read that follows them in the pipeline is answered at its place in the log,
/// so a SET/GET pipeline no longer costs one commit round per pair. Replies still come back in request order, each
/// read sees exactly the writes sent before it on its connection, and errors keep their place.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PipelinedConnectionTests
{
    // Bounds on a whole pipeline, generous for a busy 2-core machine; the node they guard against took one commit
    // round per SET -> GET turn (minutes for the stresser).
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);

    // Redis 7.0's "PIPELINING stresser" (tests/unit/other.tcl): 100,000 inline SET and GET pairs written before any
    // reply is read.
    [Fact]
    public async Task PipeliningStresser_100000SetGetPairsWrittenBeforeReading_AreAnsweredInOrder()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        const int count = 100_000;
        var frame = new MemoryStream();
        for (var i = 0; i < count; i++)
            frame.Write(Encoding.ASCII.GetBytes($"SET key:{i} 0000{i}0000\r\nGET key:{i}\r\n"));
        await ReadAllAsync(client, frame.ToArray(), count, async i =>
        {
            Assert.Equal("OK", (await client.ReadReplyAsync()).Text());
            Assert.Equal($"0000{i}0000", (await client.ReadReplyAsync()).Text());
        });
    }

    [Fact]
    public async Task PipelinedSetIncrGet_OnTheLeader_ReadSeesTheWritesBeforeIt()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        // Each round: SET k 1, INCR k, GET k -> OK, 2, "2"; then INCR n, INCR n, GET n on a fresh key -> 1, 2, "2";
        // then a SET of k that the next round's GET must not see before its own SET and INCR.
        const int rounds = 3_000;
        var frame = new StringBuilder();
        for (var i = 0; i < rounds; i++)
            frame.Append($"SET k 1\r\nINCR k\r\nGET k\r\nINCR n:{i}\r\nINCR n:{i}\r\nGET n:{i}\r\nSET k {i}\r\n");
        await ReadAllAsync(client, Encoding.ASCII.GetBytes(frame.ToString()), rounds, async i =>
        {
            Assert.Equal("OK", (await client.ReadReplyAsync()).Text());
            Assert.Equal("2", (await client.ReadReplyAsync()).Text());
            Assert.Equal("2", (await client.ReadReplyAsync()).Text());
            Assert.Equal("1", (await client.ReadReplyAsync()).Text());
            Assert.Equal("2", (await client.ReadReplyAsync()).Text());
            Assert.Equal("2", (await client.ReadReplyAsync()).Text());
            Assert.Equal("OK", (await client.ReadReplyAsync()).Text());
        });
    }

    // Regression: a write refused before the log (here XADD's MAXLEN syntax) was answered at once and then stood for the
    // writes still in flight, so the read after it ran on a read barrier before the SET had applied (GET/PTTL: missing).
    [Fact]
    public async Task PipelinedRead_AfterAWriteRefusedBeforeTheLog_StillSeesTheWritesBeforeIt()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        const int rounds = 2_000;
        var frame = new StringBuilder();
        for (var i = 0; i < rounds; i++)
            frame.Append($"SET e:{i} v{i}\r\nXADD s MAXLEN ~ -1 * f v\r\nGET e:{i}\r\n");
        await ReadAllAsync(client, Encoding.ASCII.GetBytes(frame.ToString()), rounds, async i =>
        {
            Assert.Equal("OK", (await client.ReadReplyAsync()).Text());
            Assert.StartsWith("-ERR", (await client.ReadReplyAsync()).Text());
            Assert.Equal($"v{i}", (await client.ReadReplyAsync()).Text());
        });
    }

    [Fact]
    public async Task PipelinedWritesAndReads_OnAFollowerConnection_EachReadSeesTheWritesBeforeIt()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var client = await RespTestClient.ConnectAsync(follower.RespPort);

        const int count = 10_000;
        var frame = new StringBuilder();
        for (var i = 0; i < count; i++)
            frame.Append($"SET f:{i} v{i}\r\nGET f:{i}\r\nAPPEND log {i % 10}\r\nSTRLEN log\r\n");
        await ReadAllAsync(client, Encoding.ASCII.GetBytes(frame.ToString()), count, async i =>
        {
            Assert.Equal("OK", (await client.ReadReplyAsync()).Text());
            Assert.Equal($"v{i}", (await client.ReadReplyAsync()).Text());
            Assert.Equal((i + 1).ToString(), (await client.ReadReplyAsync()).Text());
            Assert.Equal((i + 1).ToString(), (await client.ReadReplyAsync()).Text());
        });
    }

    // Regression: past the connection's window of 2,048 commands in flight, each reply let one more command in and a
    // follower relayed it in runs of a few commands, one exchange with the leader each (2,681-3,838 runs for these
    // 20,000 SETs; 10,000 took 0.6-2 s through a follower of a Release cluster, 0.04 s on the leader). Now 53-58.
    [Fact]
    public async Task ALongPipelineOnAFollower_IsRelayedInRuns_NotOneCommandAtATime()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var client = await RespTestClient.ConnectAsync(follower.RespPort);
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "ready", "1"));
        var session = follower.ClientSession();
        var before = session.ForwardRunsSent;

        const int count = 20_000;
        var pipeline = RespTestClient.Pipeline(count, i => ["SET", $"r{i:D5}", $"{i % 10}"]);
        await ReadAllAsync(client, pipeline, count, async _ =>
            Assert.Equal("OK", (await client.ReadReplyAsync()).Text()));

        // A run is sent when it holds 512 commands, when a read's bytes are used up and when the window is full.
        Assert.InRange(session.ForwardRunsSent - before, (count + 511) / 512, count / 50);
        Assert.Equal("7", (await client.SendAsync("GET", "r19997")).Text());
    }

    // Regression: the replies of a relayed run completed one by one with a thread-pool hop each, so the session's reply
    // loop handed them to the output a few at a time (300-365 hand-overs for these 2,000 SETs in 16 runs). Now a run's
    // replies are answered from the last on the relay's thread: the reply loop resumes once per run.
    [Fact]
    public async Task ARunRelayedByAFollower_IsHandedToTheOutputOncePerRun()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var client = await RespTestClient.ConnectAsync(follower.RespPort);
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "ready", "1"));
        var session = follower.ClientSession();
        var (handOvers, runs) = (session.ReplyHandOvers, session.ForwardRunsSent);

        const int count = 2_000;
        var pipeline = RespTestClient.Pipeline(count, i => ["SET", $"h{i:D4}", $"{i % 10}"]);
        await ReadAllAsync(client, pipeline, count, async _ =>
            Assert.Equal("OK", (await client.ReadReplyAsync()).Text()));

        var sent = session.ForwardRunsSent - runs;
        Assert.InRange(session.ReplyHandOvers - handOvers, 1, sent);
        Assert.Equal("9", (await client.SendAsync("GET", "h1999")).Text());
    }

    // Regression (found in review): a relayed command read before a CLIENT PAUSE began, and started after it (here it
    // waited for a slot of its connection's full window), waited for the pause inside its run's command and joined the
    // run after the read loop had sent what it held; nothing sent that run again and the connection hung. Now it waits
    // for the pause before it joins a run.
    [Fact]
    public async Task ARelayedCommand_HeldByAPauseBegunAfterItWasRead_IsStillRelayedAndAnswered()
    {
        await using var cluster = TestCluster.Create(3, TestCluster.SlowElections());
        var holding = 0;
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var node in cluster.Nodes)
        {
            node.TestServices = services => services.AddSingleton<Action<KvStateMachine>>(machine => machine.BeforeApply = _ =>
                Volatile.Read(ref holding) == 1 ? hold.Task : Task.CompletedTask);
            await cluster.StartNodeAsync(node.Index);
        }

        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var client = await RespTestClient.ConnectAsync(follower.RespPort);
        await using var admin = await RespTestClient.ConnectAsync(follower.RespPort);
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "ready", "1"));

        // Applies held: the window of 2,048 fills and the read loop waits for a slot with the next command read.
        Volatile.Write(ref holding, 1);
        const int count = 2_500;
        await client.SendRawAsync(RespTestClient.Pipeline(count, i => ["SET", $"p{i:D4}", $"{i % 10}"]));
        await Task.Delay(1000);
        Assert.Equal("OK", (await admin.SendAsync("CLIENT", "PAUSE", "1500", "WRITE")).Text());
        Volatile.Write(ref holding, 0);
        hold.SetResult();

        var read = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
                Assert.Equal("OK", (await client.ReadReplyAsync()).Text());
        });
        await read.WaitAsync(Generous);
        Assert.Equal("9", (await client.SendAsync("GET", "p2499")).Text());
    }

    // Errors answered before the log (unknown command, wrong arity), at apply (WRONGTYPE, not an integer) and by a
    // read keep their place among the pipelined replies, and stop nothing after them.
    [Fact]
    public async Task PipelineWithErrors_EachErrorKeepsItsPlace_AndLaterCommandsStillRun()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        const int rounds = 2_000;
        var frame = new StringBuilder();
        for (var i = 0; i < rounds; i++)
        {
            frame.Append($"SET e:{i} text\r\nINCR e:{i}\r\nLPUSH e:{i} x\r\nNOSUCHCOMMAND e:{i}\r\nGET\r\n");
            frame.Append($"LLEN e:{i}\r\nAPPEND e:{i} !\r\nGET e:{i}\r\n");
        }

        await ReadAllAsync(client, Encoding.ASCII.GetBytes(frame.ToString()), rounds, async i =>
        {
            Assert.Equal("OK", (await client.ReadReplyAsync()).Text());
            Assert.Equal("-ERR value is not an integer or out of range", (await client.ReadReplyAsync()).Text());
            Assert.StartsWith("-WRONGTYPE", (await client.ReadReplyAsync()).Text());
            Assert.StartsWith("-ERR unknown command 'NOSUCHCOMMAND'", (await client.ReadReplyAsync()).Text());
            Assert.Equal("-ERR wrong number of arguments for 'get' command", (await client.ReadReplyAsync()).Text());
            Assert.StartsWith("-WRONGTYPE", (await client.ReadReplyAsync()).Text());
            Assert.Equal("5", (await client.ReadReplyAsync()).Text());
            Assert.Equal("text!", (await client.ReadReplyAsync()).Text());
        });
    }

    /// <summary>Sends the whole pipeline while reading <paramref name="rounds"/> rounds of replies, within <see cref="Generous"/>.</summary>
    private static async Task ReadAllAsync(RespTestClient client, byte[] pipeline, int rounds, Func<int, Task> readRound)
    {
        var send = client.SendRawAsync(pipeline);
        var read = Task.Run(async () =>
        {
            for (var i = 0; i < rounds; i++)
                await readRound(i);
        });
        await Task.WhenAll(send, read).WaitAsync(Generous);
    }
}
