using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// DotNext starts the only member of a configuration as the leader in the log's current term, without an election,
/// and RaftKV's log takes a leader's appends only in a term the node raised itself to (chaos bug 5). A one-node
/// cluster whose term was not 0 (shrunk from three members here; or carried over from DotNext's log) refused every
/// write after a restart ("Refused a leader append ... the term it was elected in is 0") until RaftHost raised the term
/// itself at start.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SoleMemberTests
{
    [Fact]
    public async Task ClusterShrunkToOneMember_AfterARestart_AcceptsWrites()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            Assert.Equal("OK", await client.SendRetryingAsync("SET", "before", "shrink"));
            foreach (var other in cluster.Nodes.Where(n => n != leader))
            {
                Assert.Equal("OK", (await client.SendAsync("RAFTKV.MEMBER.REMOVE", other.RaftEndpoint)).Text());
                await cluster.StopNodeAsync(other.Index);
            }

            Assert.Equal("OK", await client.SendRetryingAsync("SET", "after", "shrink"));
        }

        var term = ((DotNext.Net.Cluster.Consensus.Raft.IPersistentState)leader.Raft.Log).Term;
        Assert.True(term > 0, $"term {term}: the three-member cluster held an election");
        await cluster.StopNodeAsync(leader.Index);
        await cluster.StartNodeAsync(leader.Index);

        await using var again = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", await again.SendRetryingAsync("SET", "after", "restart"));
        Assert.Equal("shrink", (await again.SendAsync("GET", "before")).Text());
        Assert.Equal("restart", (await again.SendAsync("GET", "after")).Text());
    }
}
