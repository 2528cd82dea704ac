using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using RaftKV.Node.Execution;
using RaftKV.Node.Raft;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// CommandTimeoutMs bounds a write's wait for its commit and apply: past it the client gets an unknown outcome, and the
/// write still applies. The group commit applies the timeout itself (WriteBatcher's sweep), not a timer per command.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class WriteTimeoutTests
{
    [Fact]
    public async Task WriteWhoseApplyLags_IsAnsweredUnknownAfterTheCommandTimeout_AndStillApplies()
    {
        await using var cluster = await TestCluster.StartAsync(1, new() { ["CommandTimeoutMs"] = "4000" });
        var node = cluster.Nodes[0];
        await cluster.StopNodeAsync(node.Index);
        var slow = 0;
        node.TestServices = services => services.AddSingleton<Action<KvStateMachine>>(machine => machine.BeforeApply = _ =>
            Interlocked.Exchange(ref slow, 0) == 1 ? Task.Delay(10000) : Task.CompletedTask);
        await cluster.StartNodeAsync(node.Index);
        await cluster.WaitForLeaderAsync();
        await using var first = await RespTestClient.ConnectAsync(node.RespPort);
        await using var second = await RespTestClient.ConnectAsync(node.RespPort);
        for (var i = 0; i < 100 && (await first.SendAsync("SET", "ready", "1")).Text() != "OK"; i++)
            await Task.Delay(100);

        // The first write's entry stalls in its apply; the second waits in the queue behind it. Each is answered when
        // its own timeout runs out: the second 4 s after its sending, not once the first entry's timeout and then its
        // own entry's have passed (7.8 s after its sending). The margins are wide: a loaded machine delays the sweep.
        Volatile.Write(ref slow, 1);
        var stalled = first.SendAsync("SET", "k1", "v");
        await Task.Delay(200);
        var started = Stopwatch.StartNew();
        var queued = await second.SendAsync("SET", "k2", "v");
        var waited = started.Elapsed;
        Assert.Equal("-" + CommandExecutor.UnknownOutcome, queued.Text());
        Assert.Equal("-" + CommandExecutor.UnknownOutcome, (await stalled).Text());
        Assert.InRange(waited, TimeSpan.FromMilliseconds(3600), TimeSpan.FromMilliseconds(6500));

        // Not failures: both were committed and apply once the apply catches up.
        foreach (var key in new[] { "k1", "k2" })
        {
            var value = "";
            for (var i = 0; i < 200 && value != "v"; i++)
            {
                value = (await first.SendAsync("GET", key)).Text();
                if (value != "v")
                    await Task.Delay(100);
            }

            Assert.Equal("v", value);
        }
    }
}
