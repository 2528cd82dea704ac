using System.Net;
using StackExchange.Redis;

namespace RaftKV.Integration.Tests.Infrastructure;

/// <summary>N node processes on loopback with their own temp data directories, removed on dispose.</summary>
internal sealed class ProcessCluster : IAsyncDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "raftkv-it", Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, string> _settings;

    private ProcessCluster(int count, Dictionary<string, string> settings)
    {
        // The node's own defaults (elections, request timeout) are what the tests exercise.
        _settings = [];
        foreach (var (k, v) in settings)
            _settings[k] = v;
        Nodes = Enumerable.Range(0, count)
            .Select(i => new NodeProcess(i, TestPorts.Next(), TestPorts.Next(), TestPorts.Next(), TestPorts.Next(), Path.Combine(_root, $"node{i}")))
            .ToList();
    }

    public IReadOnlyList<NodeProcess> Nodes { get; }

    public IReadOnlyList<string> Members => Nodes.Select(static n => $"127.0.0.1:{n.RaftPort}").ToList();

    public static async Task<ProcessCluster> StartAsync(int count = 3, Dictionary<string, string>? settings = null)
    {
        var cluster = new ProcessCluster(count, settings ?? []);
        foreach (var node in cluster.Nodes)
            node.Start(cluster.Members, cluster._settings);
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        return cluster;
    }

    public void Restart(int index)
    {
        Nodes[index].Kill();
        Nodes[index].Start(Members, _settings);
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
                var info = await RawResp.TryCommandAsync(node.RespPort, "INFO replication");
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
