using Microsoft.Extensions.DependencyInjection;
using RaftKV.Node.Raft;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// The group commit answers an applied entry's commands from the last to the first, so a connection's reply loop,
/// waiting for the first of its pipelined writes in the entry, resumes once all of them are answered and hands their
/// replies to the output together. Answered in order, it resumed and handed one reply over for each (a fifth of the
/// leader's answering work at SET -P 16).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PipelinedAnswerTests
{
    [Fact]
    public async Task SixteenPipelinedWrites_AnsweredByTheirEntries_AreHandedOverOncePerEntry_InOrder()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = cluster.Nodes[0];
        await cluster.StopNodeAsync(node.Index);
        var holding = 0;
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        node.TestServices = services => services.AddSingleton<Action<KvStateMachine>>(machine => machine.BeforeApply = _ =>
            Volatile.Read(ref holding) == 1 ? hold.Task : Task.CompletedTask);
        await cluster.StartNodeAsync(node.Index);
        await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "ready", "1"));
        var session = node.ClientSession();
        var before = session.ReplyHandOvers;

        // The first entry's apply is held while the rest queue behind it: the 16 writes go in two entries at most.
        Volatile.Write(ref holding, 1);
        await client.SendRawAsync(RespTestClient.Pipeline(16, i => ["SET", $"k{i:D2}", $"{i % 10}"]));
        await Task.Delay(300);
        Volatile.Write(ref holding, 0);
        hold.SetResult();

        for (var i = 0; i < 16; i++)
            Assert.Equal("OK", (await client.ReadReplyAsync()).Text());
        Assert.InRange(session.ReplyHandOvers - before, 1, 2);
        Assert.Equal("7", (await client.SendAsync("GET", "k07")).Text());
    }
}
