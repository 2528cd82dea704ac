using System.Text;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>Pipelined commands on one connection apply and reply in the order they were sent.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PipelineTests
{
    [Fact]
    public async Task PipelinedWritesAndReads_OnTheLeader_KeepConnectionOrder()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        // One buffer: 300 INCRs, a GET, 100 SETs of one key with increasing values, a GET, then an APPEND chain.
        var frame = new StringBuilder();
        for (var i = 0; i < 300; i++)
            frame.Append("*2\r\n$4\r\nINCR\r\n$1\r\nc\r\n");
        frame.Append("*2\r\n$3\r\nGET\r\n$1\r\nc\r\n");
        for (var i = 0; i < 100; i++)
            frame.Append($"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${i.ToString().Length}\r\n{i}\r\n");
        frame.Append("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        for (var i = 0; i < 10; i++)
            frame.Append($"*3\r\n$6\r\nAPPEND\r\n$1\r\na\r\n$1\r\n{i}\r\n");
        frame.Append("*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
        await client.SendRawAsync(Encoding.ASCII.GetBytes(frame.ToString()));

        for (var i = 1; i <= 300; i++)
            Assert.Equal(i.ToString(), (await client.ReadReplyAsync()).Text());
        Assert.Equal("300", (await client.ReadReplyAsync()).Text());
        for (var i = 0; i < 100; i++)
            Assert.Equal("OK", (await client.ReadReplyAsync()).Text());
        Assert.Equal("99", (await client.ReadReplyAsync()).Text());
        for (var i = 1; i <= 10; i++)
            Assert.Equal(i.ToString(), (await client.ReadReplyAsync()).Text());
        Assert.Equal("0123456789", (await client.ReadReplyAsync()).Text());
    }

    // Reads and writes interleaved in one pipeline: each GET sees exactly the SETs sent before it, and a run of
    // GETs shares read barriers.
    [Fact]
    public async Task InterleavedReadsAndWrites_InOnePipeline_EachReadSeesTheWritesBeforeIt()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        var frame = new StringBuilder();
        for (var i = 0; i < 100; i++)
        {
            frame.Append($"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n${i.ToString().Length}\r\n{i}\r\n");
            for (var r = 0; r < i % 3; r++)
                frame.Append("*2\r\n$3\r\nGET\r\n$1\r\nx\r\n");
        }

        await client.SendRawAsync(Encoding.ASCII.GetBytes(frame.ToString()));
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal("OK", (await client.ReadReplyAsync()).Text());
            for (var r = 0; r < i % 3; r++)
                Assert.Equal(i.ToString(), (await client.ReadReplyAsync()).Text());
        }
    }

    [Fact]
    public async Task PipelinedWrites_ThroughAFollower_KeepConnectionOrder()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var client = await RespTestClient.ConnectAsync(follower.RespPort);

        var frame = new StringBuilder();
        for (var i = 0; i < 50; i++)
            frame.Append($"*3\r\n$6\r\nAPPEND\r\n$1\r\nf\r\n$1\r\n{i % 10}\r\n");
        frame.Append("*2\r\n$6\r\nSTRLEN\r\n$1\r\nf\r\n");
        await client.SendRawAsync(Encoding.ASCII.GetBytes(frame.ToString()));
        for (var i = 1; i <= 50; i++)
            Assert.Equal(i.ToString(), (await client.ReadReplyAsync()).Text());
        Assert.Equal("50", (await client.ReadReplyAsync()).Text());
    }

    // Group commit: concurrent clients' writes share log entries; each client still gets its own command's reply,
    // no increment is lost or applied twice, and every replica ends in the same state.
    [Fact]
    public async Task ConcurrentWriters_AreGroupCommitted_EachGetsItsOwnReply()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        var replies = new System.Collections.Concurrent.ConcurrentBag<long>();
        await Task.WhenAll(Enumerable.Range(0, 30).Select(async c =>
        {
            await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
            for (var i = 0; i < 40; i++)
            {
                replies.Add(long.Parse((await client.SendAsync("INCR", "shared")).Text()!));
                Assert.Equal((i + 1).ToString(), (await client.SendAsync("INCR", $"own{c}")).Text());
            }
        }));

        Assert.Equal(Enumerable.Range(1, 1200).Select(static i => (long)i), replies.Order());
        Assert.True(leader.Raft.StateMachine.BatchesApplied > 0, "no write was group-committed");
        await cluster.WaitForConvergenceAsync();
        var digests = await cluster.DigestsAsync();

        Assert.Single(digests.Distinct());
    }
}
