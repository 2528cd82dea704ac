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
        await using var cluster = await TestCluster.StartAsync(3);
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

    [Fact]
    public async Task PipelinedWrites_ThroughAFollower_KeepConnectionOrder()
    {
        await using var cluster = await TestCluster.StartAsync(3);
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
}
