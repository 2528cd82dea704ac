using System.Globalization;
using System.Net;
using RaftKV.Chaos.Resp;

namespace RaftKV.Chaos.Cluster;

/// <summary>The nodes under test on their network: start, find the leader, compare digests, tear down.</summary>
internal sealed class ChaosCluster : IDisposable
{
    private static readonly TimeSpan s_probeTimeout = TimeSpan.FromSeconds(1);
    private readonly INetwork _network;
    private bool _disposed;

    public ChaosCluster(INetwork network, int count, string nodeDll, string directory, IReadOnlyList<string> extraSettings)
    {
        _network = network;
        Directory = directory;
        var dotnet = Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";
        var members = Enumerable.Range(0, count)
            .Select(i => $"--RaftKV:Members:{i.ToString(CultureInfo.InvariantCulture)}={network.AddressOf(i)}:{network.RaftPort(i).ToString(CultureInfo.InvariantCulture)}")
            .ToArray();
        Nodes = Enumerable.Range(0, count).Select(i =>
        {
            var name = "n" + (i + 1).ToString(CultureInfo.InvariantCulture);
            var resp = new IPEndPoint(network.AddressOf(i), network.RespPort(i));
            var raft = new IPEndPoint(network.AddressOf(i), network.RaftPort(i));
            var grpc = new IPEndPoint(network.AddressOf(i), network.GrpcPort(i));
            var dir = Path.Combine(directory, name);
            string[] Command(IEnumerable<string> membership) => network.ExecPrefix(i).Concat([
                dotnet, nodeDll,
                "--RaftKV:NodeId=" + name,
                "--RaftKV:RespEndpoint=" + resp,
                "--RaftKV:RaftEndpoint=" + raft,
                "--RaftKV:GrpcEndpoint=" + grpc,
                "--RaftKV:DataDirectory=" + Path.Combine(dir, "data"),
                "--RaftKV:MetricsEndpoint=",
                // One line per event with a UTC timestamp, so that the nodes' logs can be merged into one timeline.
                "--Logging:Console:FormatterName=simple",
                "--Logging:Console:FormatterOptions:SingleLine=true",
                "--Logging:Console:FormatterOptions:UseUtcTimestamp=true",
                "--Logging:Console:FormatterOptions:TimestampFormat=HH:mm:ss.fff ",
                .. membership,
                .. extraSettings,
            ]).ToArray();
            return new NodeProcess(i, name, resp, raft, dir, Command(members), Command(["--RaftKV:Join=true"])) { Grpc = grpc };
        }).ToArray();
    }

    public IReadOnlyList<NodeProcess> Nodes { get; }

    /// <summary>The run's output directory (history, summary, one folder per node).</summary>
    public string Directory { get; }

    public INetwork Network => _network;

    public void StartAll()
    {
        foreach (var node in Nodes)
            node.Start();
    }

    /// <summary>Asks every running, unpaused node for its role; returns the first that says master.</summary>
    public async Task<NodeProcess?> FindLeaderAsync(CancellationToken token)
    {
        var probes = Nodes.Where(n => n.IsRunning && !n.IsPaused).Select(async n =>
        {
            var info = await QueryAsync(n, ["INFO", "replication"], token).ConfigureAwait(false);
            return info?.Text?.Contains("role:master", StringComparison.Ordinal) == true ? n : null;
        });
        var leaders = await Task.WhenAll(probes).ConfigureAwait(false);
        return leaders.FirstOrDefault(l => l is not null);
    }

    /// <summary>Waits until some node leads and accepts a write, or the timeout passes.</summary>
    public async Task<NodeProcess?> WaitForLeaderAsync(TimeSpan timeout, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !token.IsCancellationRequested)
        {
            var leader = await FindLeaderAsync(token).ConfigureAwait(false);
            if (leader is not null)
            {
                var reply = await QueryAsync(leader, ["SET", "chaos:probe", "1"], token).ConfigureAwait(false);
                if (reply is { IsError: false })
                    return leader;
            }
            await Task.Delay(300, token).ConfigureAwait(false);
        }
        return null;
    }

    /// <summary>Each node's <c>DEBUG DIGEST</c>, or null for a node that did not answer with one.</summary>
    public async Task<string?[]> DigestsAsync(CancellationToken token)
    {
        var replies = await Task.WhenAll(Nodes.Select(n => QueryAsync(n, ["DEBUG", "DIGEST"], token))).ConfigureAwait(false);
        return replies.Select(r => r is { IsError: false, Text: { Length: 40 } t } ? t : null).ToArray();
    }

    /// <summary>One command with short timeouts; null on any failure (only for probes, never for history ops).</summary>
    /// <param name="timeout">How long the reply may take (3 s when null).</param>
    public static async Task<RespValue?> QueryAsync(NodeProcess node, string[] command, CancellationToken token, TimeSpan? timeout = null)
    {
        try
        {
            await using var client = await RespClient.ConnectAsync(node.Resp, s_probeTimeout, token).ConfigureAwait(false);
            return await client.ExecuteAsync(command, timeout ?? TimeSpan.FromSeconds(3), token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RespConnectException or TimeoutException or IOException)
        {
            return null;
        }
    }

    /// <summary>Crashes observed so far: nodes that exited although nobody killed them.</summary>
    public IReadOnlyList<string> Crashes()
    {
        foreach (var node in Nodes)
            node.CheckExit();
        return Nodes.Where(n => n.UnexpectedExit is not null).Select(n => n.UnexpectedExit!).ToArray();
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var node in Nodes)
        {
            node.Resume();
            node.Kill();
        }
        _network.Dispose();
    }
}
