using RaftKV.Node.Configuration;
using RaftKV.Node.Raft;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Which write-ahead log a node runs: RaftKV's own for a new data directory, the one whose files are there otherwise,
/// and never a fresh log beside the other engine's (its term and vote may be the node's only record of a vote it gave).
/// </summary>
public sealed class LogEngineChoiceTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "raftkv-tests", "engine-" + Guid.NewGuid().ToString("N"));

    public LogEngineChoiceTests() => Directory.CreateDirectory(_data);

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private void Files(string folder) => File.WriteAllBytes(Path.Combine(Directory.CreateDirectory(Path.Combine(_data, folder)).FullName, "f"), [1]);

    [Fact]
    public void Auto_NewDirectory_IsRaftKVsLog()
    {
        Assert.Equal(LogEngine.RaftKV, RaftHost.Choose(LogEngine.Auto, _data));
        Directory.CreateDirectory(Path.Combine(_data, "wal")); // an empty folder is no log
        Assert.Equal(LogEngine.RaftKV, RaftHost.Choose(LogEngine.Auto, _data));
    }

    [Fact]
    public void DotNextsLog_IsCarriedOverUnlessDotNextIsNamed()
    {
        Files("wal");
        Assert.Equal(LogEngine.RaftKV, RaftHost.Choose(LogEngine.Auto, _data));
        Assert.Equal(LogEngine.RaftKV, RaftHost.Choose(LogEngine.RaftKV, _data));
        Assert.Equal(LogEngine.DotNext, RaftHost.Choose(LogEngine.DotNext, _data));
    }

    [Fact]
    public void DotNextNamedBesideRaftKVsLog_RefusesToStart()
    {
        Files("log");
        var e = Assert.Throws<InvalidOperationException>(() => RaftHost.Choose(LogEngine.DotNext, _data));
        Assert.Contains("other engine's log", e.Message);
    }

    [Fact]
    public void BothLogs_RefusesToStart()
    {
        Files("wal");
        Files("log");
        Assert.Throws<InvalidOperationException>(() => RaftHost.Choose(LogEngine.Auto, _data));
    }

    // A crash after the carry-over's commit point (log renamed into place) and before wal was renamed away.
    [Fact]
    public void BothLogs_AfterACarryOversCommitPoint_IsRaftKVsLog()
    {
        Files("wal");
        Files("log");
        File.WriteAllBytes(Path.Combine(_data, "log", Node.Log.DotNextLogMigration.CommitMarker), []);
        Assert.Equal(LogEngine.RaftKV, RaftHost.Choose(LogEngine.Auto, _data));
        Assert.Throws<InvalidOperationException>(() => RaftHost.Choose(LogEngine.DotNext, _data));
    }
}

/// <summary>A node that ran DotNext's log (a release before RaftKV's own became the default) moves to RaftKV's log, with its data, when restarted with the default setting.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LogEngineUpgradeTests
{
    [Fact]
    public async Task NodeWrittenWithDotNextsLog_RestartedWithTheDefault_CarriesItsLogAndDataOver()
    {
        await using var cluster = await TestCluster.StartAsync(1, new() { ["Log"] = "DotNext" });
        var node = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(node.RespPort))
            Assert.Equal("OK", (await client.SendAsync("SET", "k", "before-upgrade")).Text());
        Assert.Equal(LogEngine.DotNext, node.Raft.Engine);
        await cluster.StopNodeAsync(0);

        cluster.Settings["Log"] = "Auto";
        await cluster.StartNodeAsync(0);
        node = await cluster.WaitForLeaderAsync();
        Assert.Equal(LogEngine.RaftKV, node.Raft.Engine);
        await using var again = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("before-upgrade", (await again.SendAsync("GET", "k")).Text());
        Assert.Contains("raft_log_engine:raftkv", (await again.SendAsync("INFO", "raft")).Text());
    }
}
