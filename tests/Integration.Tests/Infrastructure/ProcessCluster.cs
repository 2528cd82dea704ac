using System.Net;
using StackExchange.Redis;

namespace RaftKV.Integration.Tests.Infrastructure;

/// <summary>N node processes on loopback with their own temp data directories, removed on dispose.</summary>
internal sealed class ProcessCluster : IAsyncDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "raftkv-it", Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, string> _settings;
    private readonly Func<int, IReadOnlyDictionary<string, string>>? _nodeSettings;

    private ProcessCluster(int count, Dictionary<string, string> settings, TestCertificates? tls, Func<int, IReadOnlyDictionary<string, string>>? nodeSettings)
    {
        Tls = tls;
        _nodeSettings = nodeSettings;
        // The node's own defaults (elections, request timeout) are what the tests exercise.
        _settings = [];
        foreach (var (k, v) in settings)
            _settings[k] = v;
        _nodes = Enumerable.Range(0, count).Select(NewNode).ToList();
        _initial = count;
    }

    private readonly List<NodeProcess> _nodes;
    private readonly int _initial;

    private NodeProcess NewNode(int i) =>
        new(i, TestPorts.Next(), TestPorts.Next(), TestPorts.Next(), TestPorts.Next(), Path.Combine(_root, $"node{i}"));

    /// <summary>Every node started so far: the initial members, then nodes started with <see cref="StartJoiner"/>.</summary>
    public IReadOnlyList<NodeProcess> Nodes => _nodes;

    /// <summary>
    /// Starts a new node with an empty data directory in Join mode (no member list, no RestoreFrom): it waits until a
    /// leader adds it.
    /// </summary>
    public NodeProcess StartJoiner()
    {
        var node = NewNode(_nodes.Count);
        _nodes.Add(node);
        var settings = SettingsOf(node.Index);
        settings["RaftKV:Join"] = "true";
        settings.Remove("RaftKV:RestoreFrom");
        node.Start([], settings);
        return node;
    }

    /// <summary>The CA the test's own RESP probes trust when the RESP ports speak TLS; null for plaintext.</summary>
    public TestCertificates? Tls { get; }

    /// <summary>
    /// Elections of 2.5-4 s (requests 1.5 s) instead of the shipped 600-1200 ms, for tests whose claim is not the
    /// failover's speed but which run heavy work across three processes on a loaded 2-core machine, where one late
    /// round cost the leadership and a write in flight ended "outcome unknown".
    /// </summary>
    public static Dictionary<string, string> SlowElections() => new()
    {
        ["RaftKV:ElectionTimeoutMinMs"] = "2500",
        ["RaftKV:ElectionTimeoutMaxMs"] = "4000",
        ["RaftKV:RaftRequestTimeoutMs"] = "1500",
    };

    /// <summary>The initial member list (Raft endpoints) every first node was started with.</summary>
    public IReadOnlyList<string> Members => _nodes.Take(_initial).Select(static n => $"127.0.0.1:{n.RaftPort}").ToList();

    /// <param name="tls">Set when the RESP ports speak TLS: the cluster's own probes (leader search) trust its CA.</param>
    /// <param name="nodeSettings">Settings for one node (by index) over <paramref name="settings"/>.</param>
    /// <param name="partition">When set, every node runs in its own cgroup of it, so the test can cut links.</param>
    /// <param name="leaderTimeout">How long to wait for a leader (60 s); past it the nodes are killed and it throws.</param>
    public static async Task<ProcessCluster> StartAsync(int count = 3, Dictionary<string, string>? settings = null,
        TestCertificates? tls = null, Func<int, IReadOnlyDictionary<string, string>>? nodeSettings = null,
        LoopbackPartition? partition = null, TimeSpan? leaderTimeout = null)
    {
        var cluster = new ProcessCluster(count, settings ?? [], tls, nodeSettings);
        try
        {
            foreach (var node in cluster.Nodes)
            {
                node.Cgroup = partition?.CgroupOf(node.Index);
                node.Start(cluster.Members, cluster.SettingsOf(node.Index));
            }

            await cluster.WaitForLeaderAsync(leaderTimeout ?? TimeSpan.FromSeconds(60));
            await cluster.WaitForListeningAsync(TimeSpan.FromSeconds(60));
        }
        catch
        {
            // The caller gets no cluster to dispose: kill what was started rather than leave nodes running.
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public void Restart(int index)
    {
        Nodes[index].Kill();
        Nodes[index].Start(index < _initial ? Members : [], SettingsOf(index));
    }

    private Dictionary<string, string> SettingsOf(int index)
    {
        var settings = new Dictionary<string, string>(_settings);
        if (_nodeSettings?.Invoke(index) is { } own)
        {
            foreach (var (k, v) in own)
                settings[k] = v;
        }

        return settings;
    }

    /// <summary>
    /// Waits until every running node accepts connections on its RESP and gRPC ports. A leader needs only a majority: on
    /// a busy machine the last node may still be starting, and a test that picks it as "a follower" found its gRPC port
    /// closed (GrpcLockTests failed so in a CI run beside stress-ng: "Connection refused").
    /// </summary>
    private async Task WaitForListeningAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        foreach (var node in Nodes)
        {
            foreach (var port in new[] { node.RespPort, node.GrpcPort })
            {
                while (node.IsRunning && !await AcceptsAsync(port))
                {
                    if (DateTime.UtcNow > deadline)
                        throw new TimeoutException($"node {node.Index} does not listen on port {port}; node output:\n{node.Output}");
                    await Task.Delay(100);
                }
            }
        }
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Asks every running node for its role until exactly one says master.</summary>
    public async Task<NodeProcess> WaitForLeaderAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var masters = new List<NodeProcess>();
            foreach (var node in Nodes.Where(static n => n.IsRunning))
            {
                var info = await RawResp.TryCommandAsync(node.RespPort, "INFO replication", Tls);
                if (info?.Contains("role:master", StringComparison.Ordinal) == true)
                    masters.Add(node);
            }

            if (masters.Count == 1)
                return masters[0];
            await Task.Delay(100);
        }

        throw new TimeoutException("no single leader; node output:\n" + string.Join("\n---\n", Nodes.Select(static n => n.Output)));
    }

    public ConfigurationOptions ClientOptions(RedisProtocol protocol = RedisProtocol.Resp2)
    {
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            ConnectTimeout = 5000,
            SyncTimeout = 15000,
            AsyncTimeout = 15000,
            Protocol = protocol,
        };
        foreach (var node in Nodes)
            options.EndPoints.Add(IPAddress.Loopback, node.RespPort);
        return options;
    }

    public ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
            node.Kill();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }

        return ValueTask.CompletedTask;
    }
}
