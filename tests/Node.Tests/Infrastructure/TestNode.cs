using Microsoft.Extensions.DependencyInjection;
using RaftKV.Node.Raft;

namespace RaftKV.Node.Tests.Infrastructure;

/// <summary>One in-process node: a real Kestrel RESP listener and a real DotNext Raft node over TCP on loopback.</summary>
internal sealed class TestNode(int index, int respPort, int raftPort, int snapshotPort, string dataDirectory)
{
    public int Index { get; } = index;

    public int RespPort { get; } = respPort;

    public int RaftPort { get; } = raftPort;

    /// <summary>Where the node serves snapshot downloads (chosen with the others, so no node takes another's port).</summary>
    public int SnapshotPort { get; } = snapshotPort;

    public string DataDirectory { get; } = dataDirectory;

    /// <summary>Where the node serves /metrics and /health/*.</summary>
    public int MetricsPort { get; } = TestPorts.Next();

    public WebApplication? App { get; set; }

    /// <summary>This node's wall clock (kept across restarts); shift it to simulate a clock jump.</summary>
    public ShiftableClock Clock { get; } = new();

    /// <summary>Services added to the node when it next starts (test hooks).</summary>
    public Action<IServiceCollection>? TestServices { get; set; }

    public bool IsRunning => App is not null;

    public RaftHost Raft => App?.Raft() ?? throw new InvalidOperationException($"node {Index} is stopped");

    public bool IsLeader => App is not null && Raft.IsLeader;

    public string RaftEndpoint => $"127.0.0.1:{RaftPort}";

    /// <summary>The session of the one client connected to this node (not a connection a follower relays on).</summary>
    public RaftKV.Node.Resp.ClientSession ClientSession() =>
        (App ?? throw new InvalidOperationException($"node {Index} is stopped")).Services.GetRequiredService<RaftKV.Node.Resp.ClientRegistry>()
            .Snapshot().Single(static s => !s.IsForwarded);

    public override string ToString() => $"node{Index} (resp {RespPort}, raft {RaftPort})";
}
