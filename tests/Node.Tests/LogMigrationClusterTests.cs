using System.Collections.Concurrent;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging.Abstractions;
using RaftKV.Node.Log;
using RaftKV.Node.Raft;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Data directories written by a release that kept DotNext's log (<c>wal/</c>, written here offline through DotNext's
/// public <see cref="WriteAheadLog"/> over RaftKV's state machine, as those nodes ran it): started with this release,
/// each node carries its log over to RaftKV's at start, a lone node and a cluster whose members' logs differ, and nothing
/// that was on a majority is lost.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LogMigrationClusterTests
{
    [Fact]
    public async Task OneNode_WithASnapshot_RunsRaftKVsLog_WithEveryKey()
    {
        await using var cluster = TestCluster.Create(1, new() { ["SnapshotIntervalEntries"] = "10" });
        var node = cluster.Nodes[0];
        var (snapshot, last) = await WriteDotNextDataAsync(node.DataDirectory, keys: 45, commit: 45, snapshotInterval: 10);
        Assert.True(snapshot > 0 && last > snapshot, $"snapshot {snapshot}, log to {last}: entries after the snapshot");

        await cluster.StartNodeAsync(0);
        await cluster.WaitForLeaderAsync();
        Assert.True(Directory.Exists(Path.Combine(node.DataDirectory, DotNextLogMigration.RetiredFolder)));
        Assert.False(Directory.Exists(Path.Combine(node.DataDirectory, DotNextLogMigration.SourceFolder)));
        Assert.True(TermOf(node) > Term, $"term {TermOf(node)} after {Term}");
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        for (var i = 0; i < 45; i++)
            Assert.Equal(Value(i), (await client.SendAsync("GET", Key(i))).Text());
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "after", "upgrade"));
    }

    // Two members hold entries 1-60 (50 committed), the third only 1-40: the uncommitted tail the majority holds is carried
    // over and committed by the new leader, which can only be one of the two (the third's log is behind theirs).
    [Fact]
    public async Task ThreeNodes_WithLogsOfDifferentLengths_UnderWrites_KeepEveryEntryOfTheMajority_DigestsEqual()
    {
        await using var cluster = TestCluster.Create(3, new() { ["SnapshotIntervalEntries"] = "25" });
        foreach (var node in cluster.Nodes)
        {
            var keys = node.Index < 2 ? 60 : 40;
            await WriteDotNextDataAsync(node.DataDirectory, keys, commit: Math.Min(keys, 50), snapshotInterval: 25);
        }

        foreach (var node in cluster.Nodes)
            await cluster.StartNodeAsync(node.Index);
        var acknowledged = new ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource();
        var writer = WriteUntilStoppedAsync(cluster, acknowledged, stop.Token);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (acknowledged.Count < 50)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {acknowledged.Count} writes acknowledged in 60 s");
            await Task.Delay(50);
        }

        await stop.CancelAsync();
        await writer;

        Assert.All(cluster.Nodes, n => Assert.True(Directory.Exists(Path.Combine(n.DataDirectory, DotNextLogMigration.RetiredFolder))));
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        var digests = await cluster.DigestsAsync();
        Assert.Equal(3, digests.Count);
        Assert.All(digests, d => Assert.Equal(digests[0], d));

        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        for (var i = 0; i < 60; i++)
            Assert.Equal(Value(i), (await client.SendAsync("GET", Key(i))).Text());
        foreach (var (key, value) in acknowledged)
            Assert.Equal(value, (await client.SendAsync("GET", key)).Text());
    }

    private const long Term = 3;

    private static string Key(int i) => $"k{i}";

    private static string Value(int i) => $"v{i}-{new string('x', 100)}";

    /// <summary>
    /// A data directory as a node of the previous release left it: SETs of <see cref="Key"/> 0..keys-1 in term
    /// <see cref="Term"/> in DotNext's log (as RaftHost configured it: 8 MiB chunks, XxHash64), the first
    /// <paramref name="commit"/> applied, and the state machine's snapshots of them.
    /// </summary>
    /// <returns>The snapshot index and the log's last index.</returns>
    private static async Task<(long Snapshot, long Last)> WriteDotNextDataAsync(string dataDirectory, int keys, int commit, long snapshotInterval)
    {
        var snapshots = new DirectoryInfo(Path.Combine(dataDirectory, "snapshots"));
        snapshots.Create();
        await using var stateMachine = new KvStateMachine(snapshots, snapshotInterval, NullLogger.Instance);
        await stateMachine.RestoreAsync();
        await using var log = new WriteAheadLog(
            new WriteAheadLog.Options
            {
                Location = Path.Combine(dataDirectory, DotNextLogMigration.SourceFolder),
                ChunkSize = 8 * 1024 * 1024,
                HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.XxHash64,
            },
            stateMachine);
        await log.InitializeAsync();
        IPersistentState state = log;
        await state.UpdateTermAsync(Term, resetLastVote: true);
        for (var i = 0; i < keys; i++)
            await state.AppendAsync(WalNode.Entry(Term, WalNode.Set(Key(i), Value(i))));
        await log.FlushAsync();
        await state.CommitAsync(commit);
        await state.WaitForApplyAsync(commit);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (stateMachine.IsSnapshotting || (commit >= snapshotInterval && stateMachine.PublishedSnapshot is null))
        {
            Assert.True(DateTime.UtcNow < deadline, "the state machine's snapshot was not written in 30 s");
            await Task.Delay(20);
        }

        await log.FlushAsync();
        return (stateMachine.SnapshotIndex, state.LastEntryIndex);
    }

    // SETs of fresh keys to whichever node leads, one at a time; only an OK counts as acknowledged. A failed or unknown
    // outcome (an election) is not retried: its key is simply not counted.
    private static async Task WriteUntilStoppedAsync(TestCluster cluster, ConcurrentDictionary<string, string> acknowledged, CancellationToken token)
    {
        await Task.Yield();
        for (var i = 0; !token.IsCancellationRequested; i++)
        {
            var key = $"w{i}";
            var value = $"value-{i}";
            try
            {
                var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(5));
                await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
                if ((await client.SendAsync("SET", key, value)).Text() == "OK")
                    acknowledged[key] = value;
            }
            catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                await Task.Delay(50, CancellationToken.None);
            }
        }
    }

    private static long TermOf(TestNode node) => ((IPersistentState)node.Raft.Log).Term;
}
