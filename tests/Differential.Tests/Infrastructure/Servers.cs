using System.Diagnostics;

namespace RaftKV.Differential.Tests.Infrastructure;

/// <summary>
/// A real redis-server and a three-node RaftKV cluster (separate processes), started once per test class.
/// Commands go to the Raft leader; the digests of all three replicas are compared at the end.
/// </summary>
public sealed class Servers : IDisposable
{
    private const string RedisServerPath = "/usr/bin/redis-server";

    private readonly List<ChildProcess> _processes = [];
    private readonly string _dataRoot = Path.Combine(Path.GetTempPath(), "raftkv-diff-" + Guid.NewGuid().ToString("N"));

    public Servers()
    {
        try
        {
            RedisPort = TestPorts.Next();
            _processes.Add(new ChildProcess(RedisServerPath, ["--port", RedisPort.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--databases", "1"], Path.GetTempPath()));
            StartCluster();
            Redis = Connect(RedisPort, TimeSpan.FromSeconds(20));
            LeaderPort = WaitForLeader(TimeSpan.FromSeconds(60));
            RaftKv = Connect(LeaderPort, TimeSpan.FromSeconds(5));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int RedisPort { get; }

    public int LeaderPort { get; }

    public List<int> NodePorts { get; } = [];

    internal RespConnection Redis { get; }

    internal RespConnection RaftKv { get; }

    /// <summary>Waits until every replica reports the same DEBUG DIGEST; returns them.</summary>
    public IReadOnlyList<string> ReplicaDigests(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var digests = NodePorts.Select(port =>
            {
                using var connection = RespConnection.Connect(port);
                return connection.Execute("DEBUG", "DIGEST").Render();
            }).ToList();
            if (digests.Distinct().Count() == 1 || watch.Elapsed > timeout)
            {
                return digests;
            }

            Thread.Sleep(200);
        }
    }

    public void Dispose()
    {
        Redis?.Dispose();
        RaftKv?.Dispose();
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        try
        {
            Directory.Delete(_dataRoot, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean up.
        }
        catch (UnauthorizedAccessException)
        {
            // Left for the OS to clean up.
        }
    }

    private void StartCluster()
    {
        var root = RepositoryRoot();
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = Path.Combine(root, "src", "Node", "bin", configuration, "net10.0", "RaftKV.Node.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("Build src/Node first (the test references it for build order).", dll);
        }

        var raftPorts = Enumerable.Range(0, 3).Select(_ => TestPorts.Next()).ToList();
        var members = raftPorts.Select(p => $"127.0.0.1:{p}").ToList();
        for (var i = 0; i < 3; i++)
        {
            var port = TestPorts.Next();
            NodePorts.Add(port);
            var data = Path.Combine(_dataRoot, "node" + i);
            Directory.CreateDirectory(data);
            var arguments = new List<string>
            {
                dll,
                $"--RaftKV:NodeId=diff{i}",
                $"--RaftKV:RespEndpoint=127.0.0.1:{port}",
                $"--RaftKV:RaftEndpoint={members[i]}",
                $"--RaftKV:DataDirectory={data}",
                "--RaftKV:MetricsEndpoint=",

                // The scripts compare every reply with redis-server's, so a leader change mid-script (an unknown-outcome
                // CLUSTERDOWN) is a failure: slower elections than the shipped 600-1200 ms, which a loaded 2-core machine
                // keeps (the same as the node tests' clusters; failover speed is measured by scripts/failover-probe.sh).
                "--RaftKV:ElectionTimeoutMinMs=1000",
                "--RaftKV:ElectionTimeoutMaxMs=2000",
                "--RaftKV:RaftRequestTimeoutMs=900",
            };
            arguments.AddRange(members.Select((m, j) => $"--RaftKV:Members:{j}={m}"));
            _processes.Add(new ChildProcess("dotnet", arguments, data));
        }
    }

    private int WaitForLeader(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            foreach (var port in NodePorts)
            {
                try
                {
                    using var connection = RespConnection.Connect(port);
                    var role = connection.Execute("ROLE");
                    if (role.Items is { Count: > 0 } items && items[0].Bulk is { } name && name.AsSpan().SequenceEqual("master"u8)
                        && connection.Execute("SET", "__diff_probe", "1").Render() == "OK")
                    {
                        connection.Execute("DEL", "__diff_probe");
                        return port;
                    }
                }
                catch (System.Net.Sockets.SocketException)
                {
                    // Not listening yet.
                }
                catch (IOException)
                {
                    // Closed while starting.
                }
            }

            Thread.Sleep(250);
        }

        throw new TimeoutException("No RaftKV leader: " + string.Join("\n---\n", _processes.Skip(1).Select(p => p.Output)));
    }

    private static RespConnection Connect(int port, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return RespConnection.Connect(port);
            }
            catch (System.Net.Sockets.SocketException) when (watch.Elapsed < timeout)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "RaftKV.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("RaftKV.sln not found above " + AppContext.BaseDirectory);
    }
}
