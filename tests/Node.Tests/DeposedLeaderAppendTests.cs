using System.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Chaos bug 5: a leader deposed while a write was on its way to the log appended that write with the NEW leader's
/// term. DotNext 6.12's ReplicateAsync stamps the entry with the node's current term and appends it without holding
/// off term changes, so an AppendEntries from the next leader could raise the term in between. The entry then had the
/// same index and term as a different entry of the new leader: the new leader's consistency check (prevLogIndex,
/// prevLogTerm) matched it, the follower kept it, applied it once the commit index passed it, and the replicas diverged
/// (seed 303: the ex-leader held two list elements no other replica had). RaftKV's log accepts a leader append only
/// in the term the node raised itself to as a candidate, under the same lock as term changes.
/// </summary>
public sealed class DeposedLeaderAppendTests : IDisposable
{
    private static readonly ClusterMemberId Self = ClusterMemberId.FromEndPoint(new IPEndPoint(IPAddress.Loopback, 7379));
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "raftkv-deposed-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task DeposedLeader_CannotAppendAnEntryWithTheNewLeadersTerm()
    {
        await using var node = await WalNode.OpenAsync(_directory);

        // Elected in term 3; the leader's own appends (its no-op and client writes) go through.
        Assert.Equal(3, await ElectAsync(node, term: 3));
        Assert.Equal(1, await AppendAsLeaderAsync(node, term: 3, key: "a", value: "1"));
        Assert.Equal(2, await AppendAsLeaderAsync(node, term: 3, key: "a", value: "2"));

        // The leader of term 4 reaches this node (RaftCluster raises the term before it steps down), while a client
        // write is on its way: ReplicateAsync builds the entry with the node's term, now 4.
        await node.State.UpdateTermAsync(4, resetLastVote: true);
        await Assert.ThrowsAsync<NotLeaderException>(() => AppendAsLeaderAsync(node, term: 4, key: "stale", value: "x").AsTask());

        // An entry built before the term changed is refused too: its term (3) would follow the new term's entries.
        await Assert.ThrowsAsync<NotLeaderException>(() => AppendAsLeaderAsync(node, term: 3, key: "stale", value: "y").AsTask());
        Assert.Equal(2, node.Log.LastEntryIndex);
        Assert.Equal(2, node.Log.RejectedLeaderAppends);

        // The new leader's entry 3 (term 4) is the one this node holds and applies.
        await node.AppendAsync(3, 4, WalNode.Set("b", "new-leader"));
        await node.CommitAsync(3);
        Assert.Equal(WalNode.DigestOf(("a", "2"), ("b", "new-leader")), node.Digest());
    }

    [Fact]
    public async Task LeaderAppends_FollowTheTermTheNodeWasElectedIn()
    {
        await using var node = await WalNode.OpenAsync(_directory);

        // Not elected yet (term learned from another node): no leader appends at all.
        await node.State.UpdateTermAsync(2, resetLastVote: true);
        await Assert.ThrowsAsync<NotLeaderException>(() => AppendAsLeaderAsync(node, term: 2, key: "k", value: "v").AsTask());

        // Elected in 3, deposed in 4, elected again in 5: only term-5 appends are accepted now.
        Assert.Equal(3, await ElectAsync(node, term: 3));
        Assert.Equal(1, await AppendAsLeaderAsync(node, term: 3, key: "k", value: "3"));
        await node.State.UpdateTermAsync(4, resetLastVote: true);
        Assert.Equal(5, await ElectAsync(node, term: 5));
        await Assert.ThrowsAsync<NotLeaderException>(() => AppendAsLeaderAsync(node, term: 4, key: "k", value: "4").AsTask());
        Assert.Equal(2, await AppendAsLeaderAsync(node, term: 5, key: "k", value: "5"));
        await node.CommitAsync(2);
        Assert.Equal(WalNode.DigestOf(("k", "5")), node.Digest());
    }

    /// <summary>What a candidate does: raise the term by one and vote for itself (the caller expects <paramref name="term"/>).</summary>
    private static async Task<long> ElectAsync(WalNode node, long term)
    {
        if (node.State.Term < term - 1)
            await node.State.UpdateTermAsync(term - 1, resetLastVote: true);
        return await node.State.IncrementTermAsync(Self);
    }

    /// <summary>The leader's path (RaftCluster.ReplicateAsync, its no-op, membership entries): append at the tail.</summary>
    private static ValueTask<long> AppendAsLeaderAsync(WalNode node, long term, string key, string value)
        => node.State.AppendAsync(WalNode.Entry(term, WalNode.Set(key, value)));
}
