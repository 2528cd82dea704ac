using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.Extensions.DependencyInjection;
using RaftKV.Node.Server;
using RaftKV.Protocol.Replies;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// One entry can hold the state for a second or more (SORT big ALPHA STORE of 800,000 elements took 1.3 s on the leader
/// and cost a leader change, terms 1 to 3: the applier and every reader that waited for it held thread-pool threads,
/// and on two cores the pool starved until it grew, Raft with it). The applier now runs on a thread of its own, and
/// reads wait for an apply without holding a thread.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LongApplyTests
{
    // Slow elections (TestCluster.SlowElections): a clean-clone CI run lost the leader once during the hold
    // (-CLUSTERDOWN on the held SET), with three nodes, sixteen clients and other test classes sharing two cores. The
    // hold (5 s) still outlasts the longest election timeout (4 s), so a leader that stopped heartbeating while its
    // applier is held still loses its term here.
    [Fact]
    public async Task AnApplyThatHoldsTheStateForSeconds_HoldsNoPoolThread_ReadsWaitWithoutBlocking_AndTheLeaderStays()
    {
        await using var cluster = TestCluster.Create(3, TestCluster.SlowElections());
        var holds = cluster.Nodes.Select(ApplyHold.Install).ToList();
        foreach (var node in cluster.Nodes)
            await cluster.StartNodeAsync(node.Index);
        var leader = await cluster.WaitForLeaderAsync();
        await using var writer = await RespTestClient.ConnectAsync(leader.RespPort);
        for (var i = 0; i < 100 && (await writer.SendAsync("SET", "k", "before")).Text() != "OK"; i++)
            await Task.Delay(100);
        leader = await cluster.WaitForLeaderAsync();
        var term = ((IPersistentState)leader.Raft.Log).Term;
        var readers = new List<RespTestClient>();
        var pingers = new List<RespTestClient>();
        for (var i = 0; i < 8; i++)
        {
            readers.Add(await RespTestClient.ConnectAsync(leader.RespPort));
            pingers.Add(await RespTestClient.ConnectAsync(leader.RespPort));
        }

        try
        {
            // The leader's next entry holds the state, as a long SORT ... STORE does, until the test lets it go.
            var hold = holds[leader.Index];
            hold.HoldApply();
            var set = writer.SendAsync("SET", "k", "after");
            var onPoolThread = await hold.Entered.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.False(onPoolThread, "the applier ran on a thread-pool thread");

            // Reads of the state return at once, pending, rather than blocking their caller (before: the caller's
            // thread blocked in the read lock until the apply ended).
            var machine = leader.Raft.StateMachine;
            var info = leader.App!.Services.GetRequiredService<InfoBuilder>();
            var call = Task.Run(() => (
                Idle: machine.ReadWhenIdleAsync(static s => s.KeyCount, CancellationToken.None),
                Any: machine.ReadAsync(static s => s.KeyCount),
                Secret: machine.ClusterSecret,
                Info: info.BuildAsync(["keyspace"], null, CancellationToken.None)));
            Assert.True(await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(20))) == call, "a read blocked its caller while an apply held the state");
            var (idle, any, secret, keyspace) = await call;
            Assert.False(idle.IsCompleted);
            Assert.False(any.IsCompleted);
            Assert.False(keyspace.IsCompleted);
            Assert.NotNull(secret);

            // A metrics scrape answers meanwhile, with the keyspace figures it read last (before: it waited for the apply).
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            Assert.Contains("raftkv_keys", await http.GetStringAsync($"http://127.0.0.1:{leader.MetricsPort}/metrics"));

            // Clients' reads wait; PING, which reads no state, answers on every connection while the apply still holds.
            var gets = readers.Select(static r => r.SendAsync("GET", "k")).ToList();
            var pings = await Task.WhenAll(pingers.Select(static p => p.SendAsync("PING"))).WaitAsync(TimeSpan.FromSeconds(20));
            Assert.All(pings, static reply => Assert.Equal("PONG", reply.Text()));
            Assert.False(hold.IsReleased);
            Assert.All(gets, static get => Assert.False(get.IsCompleted));

            // Held past the longest election timeout: the followers still hear from the leader.
            await Task.Delay(TimeSpan.FromSeconds(5));
            hold.Release();
            Assert.Equal("OK", (await set.WaitAsync(TimeSpan.FromSeconds(20))).Text());
            Assert.Equal(1, await idle.AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Equal(1, await any.AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Contains("db0:keys=1,", await keyspace.AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
            foreach (var get in gets)
                Assert.Equal("after", (await get.WaitAsync(TimeSpan.FromSeconds(20))).Text());
            Assert.True(leader.IsLeader);
            Assert.Equal(term, ((IPersistentState)leader.Raft.Log).Term);
        }
        finally
        {
            foreach (var held in holds)
                held.Dispose();
            foreach (var client in readers.Concat(pingers))
                await client.DisposeAsync();
        }
    }

    // The admin commands that read the keyspace (MEMORY, DEBUG) wait for an apply as client reads do, without a thread:
    // before, each blocked a pool thread in the apply lock for as long as the apply (a tool listing MEMORY USAGE of many
    // keys during a long SORT ... STORE held as many threads, on two cores enough to starve the pool).
    [Fact]
    public async Task MemoryAndDebugReadsDuringALongApply_WaitWithoutAThread_AndAnswerAfterIt()
    {
        await using var cluster = TestCluster.Create(1);
        using var hold = ApplyHold.Install(cluster.Nodes[0]);
        await cluster.StartNodeAsync(0);
        var node = await cluster.WaitForLeaderAsync();
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);
        for (var i = 0; i < 100 && (await writer.SendAsync("RPUSH", "k", "a", "b")).Text() is not ("2" or "4"); i++)
            await Task.Delay(100);

        // The expiry sweeper reads the state too, every 100 ms: off, so that only the commands below wait.
        Assert.Equal("OK", (await writer.SendAsync("DEBUG", "SET-ACTIVE-EXPIRE", "0")).Text());
        string[][] commands =
        [
            ["MEMORY", "USAGE", "k"], ["MEMORY", "STATS"], ["DEBUG", "DIGEST"], ["DEBUG", "DIGEST-VALUE", "k"],
            ["DEBUG", "OBJECT", "k"], ["DEBUG", "LISTPACK", "k"],
        ];
        var readers = new List<RespTestClient>();
        try
        {
            foreach (var _ in commands)
                readers.Add(await RespTestClient.ConnectAsync(node.RespPort));
            hold.HoldApply();
            var set = writer.SendAsync("SET", "other", "v");
            await hold.Entered.WaitAsync(TimeSpan.FromSeconds(30));

            var replies = commands.Select((command, i) => readers[i].SendAsync(command)).ToList();
            var machine = node.Raft.StateMachine;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (machine.ReadersWaiting < commands.Length && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            Assert.Equal(commands.Length, machine.ReadersWaiting);
            Assert.All(replies, static reply => Assert.False(reply.IsCompleted));

            hold.Release();
            Assert.Equal("OK", (await set.WaitAsync(TimeSpan.FromSeconds(20))).Text());
            var answers = await Task.WhenAll(replies).WaitAsync(TimeSpan.FromSeconds(20));
            Assert.True(long.Parse(answers[0].Text()!, System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.IsType<ArrayReply>(answers[1]);
            Assert.Equal(40, answers[2].Text()!.Length);
            Assert.Equal(40, Assert.IsType<ArrayReply>(answers[3]).Items[0].Text()!.Length);
            Assert.Contains("encoding:", answers[4].Text());
            Assert.Equal("-ERR Not a listpack encoded object.", answers[5].Text()); // a list is a quicklist in Redis 7.0
            Assert.Equal(0, machine.ReadersWaiting);
        }
        finally
        {
            foreach (var client in readers)
                await client.DisposeAsync();
        }
    }

    // WATCH waits for the apply like any read (here in its read barrier), and past the command timeout answers as a read
    // that could not be confirmed; the connection goes on.
    [Fact]
    public async Task AWatchThatWaitsForAnApplyPastTheCommandTimeout_AnswersAnUnconfirmedRead_AndTheConnectionGoesOn()
    {
        await using var cluster = TestCluster.Create(1, new() { ["CommandTimeoutMs"] = "1000" });
        using var hold = ApplyHold.Install(cluster.Nodes[0]);
        await cluster.StartNodeAsync(0);
        var node = await cluster.WaitForLeaderAsync();
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);
        await using var watcher = await RespTestClient.ConnectAsync(node.RespPort);
        for (var i = 0; i < 100 && (await writer.SendAsync("SET", "k", "before")).Text() != "OK"; i++)
            await Task.Delay(100);
        hold.HoldApply();
        var set = writer.SendAsync("SET", "k", "after");
        await hold.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("-" + RaftKV.Node.Execution.CommandExecutor.ReadFailed, (await watcher.SendAsync("WATCH", "k").WaitAsync(TimeSpan.FromSeconds(20))).Text());
        hold.Release();
        await set.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("OK", (await watcher.SendAsync("WATCH", "k")).Text());
        Assert.Equal("after", (await watcher.SendAsync("GET", "k")).Text());
    }
}
