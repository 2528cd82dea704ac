using System.Diagnostics;
using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests.Issues;

/// <summary>
/// Regression for chaos bug 1 (chaos/README.md): a paused (SIGSTOP) or partitioned leader kept the whole cluster
/// from electing a new one until it came back. DotNext's pre-vote and vote rounds wait for every member, and the
/// Raft request timeout (then 10 s) was longer than the election timeout, so every election was abandoned while
/// the paused leader's requests hung; followers also kept relaying commands to the paused leader.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ChaosBug1PausedLeaderTests
{
    [Fact]
    public async Task LeaderPaused_ANewLeaderIsElected_AndWritesSucceedThroughTheOtherNodes()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("+OK", await RawResp.TryCommandAsync(leader.RespPort, "SET before 1", timeout: RawResp.Answer));

        leader.Signal(pause: true);
        try
        {
            var clock = Stopwatch.StartNew();
            string? reply = null;
            while (clock.Elapsed < TimeSpan.FromSeconds(10) && reply?.StartsWith("+OK", StringComparison.Ordinal) != true)
            {
                foreach (var node in cluster.Nodes.Where(n => n != leader))
                {
                    reply = await RawResp.TryCommandAsync(node.RespPort, "SET during 1");
                    if (reply?.StartsWith("+OK", StringComparison.Ordinal) == true)
                        break;
                }
            }

            Assert.True(reply?.StartsWith("+OK", StringComparison.Ordinal) == true,
                $"no write was acknowledged in {clock.Elapsed} while the leader was paused (last reply: {reply})");
            var survivor = cluster.Nodes.First(n => n != leader);
            Assert.StartsWith("$1\r\n1", await RawResp.TryCommandAsync(survivor.RespPort, "GET before", timeout: RawResp.Answer));
        }
        finally
        {
            leader.Signal(pause: false);
        }
    }
}
