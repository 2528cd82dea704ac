using System.Collections.Concurrent;
using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>
/// Membership changes on real node processes: RAFTKV.MEMBER.ADD/REMOVE (sent to any node), Join mode, removed nodes,
/// restore then grow. No test assumes the leader stays put: the leader is looked up before each step.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class MembershipTests
{
    private static readonly TimeSpan ChangeTimeout = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task GrowTo5AndShrinkTo3_UnderWrites_NoAcknowledgedWriteLost_DigestsEqual()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var acknowledged = new ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(240));
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var node = cluster.Nodes[w % 3];
            for (var i = 0; i < 300 && !stop.IsCancellationRequested; i++)
            {
                var reply = await RawResp.TryCommandAsync(node.RespPort, $"SET w{w}:{i} v{w}.{i}");
                if (reply?.StartsWith("+OK", StringComparison.Ordinal) == true)
                    acknowledged[$"w{w}:{i}"] = $"v{w}.{i}";
                else
                    node = cluster.Nodes[(node.Index + 1) % 3];
                await Task.Delay(20);
            }
        })).ToArray();

        var added = new List<NodeProcess>();
        for (var k = 0; k < 2; k++)
        {
            var joiner = await StartJoinerAsync(cluster);
            added.Add(joiner);
            // Sent to a follower: it relays the change to the leader.
            var follower = await FollowerAsync(cluster);
            Assert.Equal("+OK", await AdminAsync(follower, "RAFTKV.MEMBER.ADD", Raft(joiner), joiner.Endpoint));
        }

        await WaitForMembersCountAsync(cluster.Nodes, 5);
        var members = await AdminAsync(await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30)), "RAFTKV.MEMBERS");
        foreach (var node in cluster.Nodes)
            Assert.Contains(Raft(node), members, StringComparison.Ordinal);

        foreach (var joiner in added)
            Assert.Equal("+OK", await AdminAsync(await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30)), "RAFTKV.MEMBER.REMOVE", Raft(joiner)));
        var remaining = cluster.Nodes.Take(3).ToList();
        await WaitForMembersCountAsync(remaining, 3);
        await Task.WhenAll(writers);

        Assert.True(acknowledged.Count > 100, $"only {acknowledged.Count} writes were acknowledged");
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        foreach (var (key, value) in acknowledged)
            Assert.Contains(value, await RawResp.TryCommandAsync(leader.RespPort, $"GET {key}", timeout: RawResp.Answer) ?? "", StringComparison.Ordinal);
        await WaitForEqualDigestsAsync(remaining);
    }

    [Fact]
    public async Task RemoveLeader_CommitsThenStepsDown_AnotherLeaderServes()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("+OK", await AdminAsync(leader, "RAFTKV.MEMBER.REMOVE", Raft(leader)));

        var others = cluster.Nodes.Where(n => n != leader).ToList();
        await WaitForMembersCountAsync(others, 2);
        var next = await WaitAsync(async () =>
        {
            foreach (var node in others)
            {
                if ((await RawResp.TryCommandAsync(node.RespPort, "SET after-removal 1"))?.StartsWith("+OK", StringComparison.Ordinal) == true)
                    return node;
            }

            return null;
        });
        Assert.NotNull(next);
        Assert.Contains("was removed", await RawResp.TryCommandAsync(leader.RespPort, "GET after-removal", timeout: RawResp.Answer) ?? "", StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(leader.DataDirectory, "REMOVED")));
    }

    [Fact]
    public async Task KilledNode_ReplacedByNewNodeWithEmptyDisk_JoinerNeverElectsItselfBeforeBeingAdded()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        for (var i = 0; i < 50; i++)
            Assert.StartsWith("+OK", await RawResp.TryCommandAsync(cluster.Nodes[i % 3].RespPort, $"SET k{i} {i}", timeout: RawResp.Answer) ?? "");
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var dead = cluster.Nodes.First(n => n != leader);
        dead.Kill();

        var joiner = await StartJoinerAsync(cluster);
        // Several election timeouts (600-1200 ms) in Join mode: no leader, no election of its own.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var info = await RawResp.TryCommandAsync(joiner.RespPort, "INFO raft", timeout: RawResp.Answer) ?? "";
        Assert.Contains("raft_term:0", info, StringComparison.Ordinal);
        Assert.Contains("role:slave", await RawResp.TryCommandAsync(joiner.RespPort, "INFO replication", timeout: RawResp.Answer) ?? "", StringComparison.Ordinal);

        leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("+OK", await AdminAsync(leader, "RAFTKV.MEMBER.ADD", Raft(joiner)));
        leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("+OK", await AdminAsync(leader, "RAFTKV.MEMBER.REMOVE", Raft(dead)));

        var live = cluster.Nodes.Where(n => n != dead).ToList();
        await WaitForMembersCountAsync(live, 3);
        await WaitForEqualDigestsAsync(live);
        Assert.Contains("49", await RawResp.TryCommandAsync(joiner.RespPort, "GET k49", timeout: RawResp.Answer) ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task RestoreFromBackup_ThenGrowTo3_EveryMemberHasTheBackupsData()
    {
        await using var source = await ProcessCluster.StartAsync(1);
        for (var i = 0; i < 30; i++)
            Assert.StartsWith("+OK", await RawResp.TryCommandAsync(source.Nodes[0].RespPort, $"SET b{i} {i}", timeout: RawResp.Answer) ?? "");
        Assert.Contains("OK", await AdminAsync(source.Nodes[0], "RAFTKV.BACKUP", "b.rkv"), StringComparison.Ordinal);
        var digest = await RawResp.TryCommandAsync(source.Nodes[0].RespPort, "DEBUG DIGEST", timeout: RawResp.Answer);
        var backup = Path.Combine(Path.GetTempPath(), $"raftkv-restore-{Guid.NewGuid():N}.rkv");
        File.Copy(Path.Combine(source.Nodes[0].DataDirectory, "backups", "b.rkv"), backup);
        try
        {
            await using var restored = await ProcessCluster.StartAsync(1, new() { ["RaftKV:RestoreFrom"] = backup });
            for (var k = 0; k < 2; k++)
            {
                var joiner = await StartJoinerAsync(restored);
                var leader = await restored.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
                Assert.Equal("+OK", await AdminAsync(leader, "RAFTKV.MEMBER.ADD", Raft(joiner), joiner.Endpoint));
            }

            await WaitForMembersCountAsync(restored.Nodes, 3);
            await WaitForEqualDigestsAsync(restored.Nodes);
            Assert.Equal(digest, await RawResp.TryCommandAsync(restored.Nodes[2].RespPort, "DEBUG DIGEST", timeout: RawResp.Answer));
        }
        finally
        {
            File.Delete(backup);
        }
    }

    /// <summary>
    /// A cluster shrunk to its leader alone and restarted (DotNext starts a sole member as leader without an election;
    /// RaftHost raises its term at start, SoleMemberTests) grows back to three members, each with every entry.
    /// </summary>
    [Fact]
    public async Task ShrunkToOne_Restarted_GrowsBackTo3_EveryMemberHasTheData()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("+OK", await RawResp.TryCommandAsync(leader.RespPort, "SET before shrink", timeout: RawResp.Answer) ?? "");
        foreach (var other in cluster.Nodes.Where(n => n != leader).ToList())
        {
            Assert.Equal("+OK", await AdminAsync(leader, "RAFTKV.MEMBER.REMOVE", Raft(other)));
            other.Kill();
        }

        await WaitForMembersCountAsync([leader], 1);
        cluster.Restart(leader.Index);
        leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("+OK", await RawResp.TryCommandAsync(leader.RespPort, "SET after restart", timeout: RawResp.Answer) ?? "");

        var grown = new List<NodeProcess> { leader };
        for (var k = 0; k < 2; k++)
        {
            var joiner = await StartJoinerAsync(cluster);
            Assert.Equal("+OK", await AdminAsync(await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30)), "RAFTKV.MEMBER.ADD", Raft(joiner), joiner.Endpoint));
            grown.Add(joiner);
        }

        await WaitForMembersCountAsync(grown, 3);
        await WaitForEqualDigestsAsync(grown);
        Assert.Contains("shrink", await RawResp.TryCommandAsync(grown[2].RespPort, "GET before", timeout: RawResp.Answer) ?? "", StringComparison.Ordinal);
        Assert.Contains("restart", await RawResp.TryCommandAsync(grown[2].RespPort, "GET after", timeout: RawResp.Answer) ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondChange_WhileAnAddIsCatchingUp_IsRefused()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var joiner = await StartJoinerAsync(cluster);
        // A paused joiner answers no replication round: the add stays in its catch-up until the joiner resumes.
        joiner.Signal(pause: true);
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var add = AdminAsync(leader, "RAFTKV.MEMBER.ADD", Raft(joiner));
        await Task.Delay(TimeSpan.FromSeconds(2));

        var other = cluster.Nodes.First(n => n != leader && n != joiner);
        var refused = await AdminAsync(leader, "RAFTKV.MEMBER.REMOVE", Raft(other));
        Assert.StartsWith("-ERR a membership change is already in progress", refused);
        Assert.Contains("voting\r\n:0", await AdminAsync(leader, "RAFTKV.MEMBERS"), StringComparison.Ordinal);

        joiner.Signal(pause: false);
        Assert.Equal("+OK", await add);
        await WaitForMembersCountAsync(cluster.Nodes, 4);
    }

    [Fact]
    public async Task RemovedNodeLeftRunning_NeverDisruptsElections_SaysSo_AndRefusesToRestartOnItsData()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var removed = cluster.Nodes.First(n => n != leader);
        Assert.Equal("+OK", await AdminAsync(leader, "RAFTKV.MEMBER.REMOVE", Raft(removed)));
        var others = cluster.Nodes.Where(n => n != removed).ToList();
        await WaitForMembersCountAsync(others, 2);
        var term = InfoFields.Value(await RawResp.TryCommandAsync(others[0].RespPort, "INFO raft", timeout: RawResp.Answer), "raft_term");

        // Many election timeouts (600-1200 ms) with the removed node left running.
        await Task.Delay(TimeSpan.FromSeconds(12));
        foreach (var node in others)
            Assert.Equal(term, InfoFields.Value(await RawResp.TryCommandAsync(node.RespPort, "INFO raft", timeout: RawResp.Answer), "raft_term"));
        var said = await WaitAsync(async () =>
            (await RawResp.TryCommandAsync(removed.RespPort, "GET x"))?.Contains("was removed", StringComparison.Ordinal) == true ? removed : null);
        Assert.NotNull(said);
        Assert.True(File.Exists(Path.Combine(removed.DataDirectory, "REMOVED")));

        cluster.Restart(removed.Index);
        await WaitAsync(() => Task.FromResult(removed.IsRunning ? null : removed));
        Assert.False(removed.IsRunning);
        removed.WaitForOutputEnd();
        Assert.Contains("was removed from its cluster", removed.Output, StringComparison.Ordinal);
    }

    // A new member must be up (its Raft port listening) before the leader can catch it up.
    private static async Task<NodeProcess> StartJoinerAsync(ProcessCluster cluster)
    {
        var joiner = cluster.StartJoiner();
        var up = await WaitAsync(async () => (await RawResp.TryCommandAsync(joiner.RespPort, "PING"))?.Contains("PONG", StringComparison.Ordinal) == true ? joiner : null);
        Assert.True(up is not null, "the joiner did not start: " + joiner.Output);
        return joiner;
    }

    private static string Raft(NodeProcess node) => $"127.0.0.1:{node.RaftPort}";

    private static async Task<string> AdminAsync(NodeProcess node, params string[] args) =>
        (await RawResp.TryCommandAsync(node.RespPort, ChangeTimeout, args) ?? "(no reply)").Split("\r\n+OK\r\n")[0] is var text
        && text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text;

    private static async Task<NodeProcess> FollowerAsync(ProcessCluster cluster)
    {
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        return cluster.Nodes.First(n => n != leader && n.IsRunning && n.Index < 3);
    }

    private static async Task WaitForMembersCountAsync(IEnumerable<NodeProcess> nodes, int count)
    {
        foreach (var node in nodes)
        {
            var seen = await WaitAsync(async () =>
                InfoFields.Value(await RawResp.TryCommandAsync(node.RespPort, "INFO raft"), "raft_members_count") == count.ToString(System.Globalization.CultureInfo.InvariantCulture) ? node : null);
            Assert.True(seen is not null, $"node{node.Index} never reported raft_members_count:{count}");
        }
    }

    private static async Task WaitForEqualDigestsAsync(IReadOnlyList<NodeProcess> nodes)
    {
        string?[] digests = [];
        var equal = await WaitAsync(async () =>
        {
            digests = await Task.WhenAll(nodes.Select(n => RawResp.TryCommandAsync(n.RespPort, "DEBUG DIGEST")));
            return digests.All(d => d is not null && d == digests[0]) ? nodes[0] : null;
        });
        Assert.True(equal is not null, "digests differ: " + string.Join(", ", digests));
    }

    private static async Task<T?> WaitAsync<T>(Func<Task<T?>> probe) where T : class
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } found)
                return found;
            await Task.Delay(200);
        }

        return null;
    }
}
