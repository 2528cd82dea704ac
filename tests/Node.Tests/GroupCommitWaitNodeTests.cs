using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using RaftKV.Node.Execution;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// The group commit's wait on a node (GroupCommitWait): after an entry's replies the next entry waits for the clients
/// they answered. When they have nothing more to send, a write queued meanwhile is answered at once (the loop ends the
/// wait), not at the command timeout; when they do, every write is acknowledged, in order, with its value readable.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class GroupCommitWaitNodeTests
{
    [Fact]
    public async Task AWriteQueuedBehindClientsThatAreDone_IsAnsweredAtOnce_NotAtTheCommandTimeout()
    {
        await using var cluster = await TestCluster.StartAsync(3, new() { ["CommandTimeoutMs"] = "20000" });
        var leader = await cluster.WaitForLeaderAsync();
        var wait = leader.App!.Services.GetRequiredService<GroupCommitWait>();
        var done = new List<RespTestClient>();
        for (var i = 0; i < 4; i++)
            done.Add(await RespTestClient.ConnectAsync(leader.RespPort));
        await using var late = await RespTestClient.ConnectAsync(leader.RespPort);
        try
        {
            for (var i = 0; i < 100 && (await late.SendAsync("SET", "ready", "1")).Text() != "OK"; i++)
                await Task.Delay(100);

            // Four clients write once and stop; a fifth writes a moment later, mostly while their entry is in flight. Its
            // entry then waits for four more writes that never come: the loop ends the wait once it has nothing to read.
            var slowest = TimeSpan.Zero;
            for (var round = 0; round < 40; round++)
            {
                var writes = done.Select((client, i) => client.SendAsync("SET", $"done:{round}:{i}", "v")).ToList();
                await Task.Delay(round % 4);
                var started = Stopwatch.StartNew();
                var reply = await late.SendAsync("SET", $"late:{round}", "v");
                var took = started.Elapsed;
                Assert.Equal("OK", reply.Text());
                foreach (var write in writes)
                    Assert.Equal("OK", (await write).Text());
                slowest = took > slowest ? took : slowest;
            }

            // Far below the 20 s command timeout a stalled wait would end at (a round here is a few milliseconds; the
            // bound allows for a loaded machine).
            Assert.True(slowest < TimeSpan.FromSeconds(5), $"slowest late write {slowest}");
            Assert.True(wait.Begun > 0, "no wait began: the test did not exercise it");
        }
        finally
        {
            foreach (var client in done)
                await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task ClientsWritingInLockstep_AreAllAcknowledged_InOrder_AndReadable()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var clients = new List<RespTestClient>();
        for (var i = 0; i < 12; i++)
            clients.Add(await RespTestClient.ConnectAsync(leader.RespPort));
        try
        {
            for (var i = 0; i < 100 && (await clients[0].SendAsync("SET", "ready", "1")).Text() != "OK"; i++)
                await Task.Delay(100);

            // Each client increments its own counter and appends to its own list, one command at a time, as
            // redis-benchmark's clients do: every entry after the first waits for the clients the last one answered.
            await Task.WhenAll(clients.Select(async (client, c) =>
            {
                for (var n = 1; n <= 60; n++)
                {
                    Assert.Equal(n.ToString(System.Globalization.CultureInfo.InvariantCulture), (await client.SendAsync("INCR", $"count:{c}")).Text());
                    Assert.Equal(n.ToString(System.Globalization.CultureInfo.InvariantCulture), (await client.SendAsync("RPUSH", $"list:{c}", $"{n}")).Text());
                }
            }));

            for (var c = 0; c < clients.Count; c++)
            {
                Assert.Equal("60", (await clients[0].SendAsync("GET", $"count:{c}")).Text());
                var items = await clients[0].SendAsync("LRANGE", $"list:{c}", "0", "-1");
                Assert.Equal(Enumerable.Range(1, 60).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)), Assert.IsType<RaftKV.Protocol.Replies.ArrayReply>(items).Items.Select(item => item.Text()));
            }
        }
        finally
        {
            foreach (var client in clients)
                await client.DisposeAsync();
        }
    }
}
