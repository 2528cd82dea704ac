using System.Globalization;
using RaftKV.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RaftKV.Integration.Tests;

/// <summary>
/// The Node.js clients RaftKV's users run, with their default options, against a real cluster: ioredis (commands,
/// pipelines, MULTI/EXEC and WATCH, EXECABORT, defineCommand scripts as a lock's release, pub/sub, keyspace
/// notifications, a blocking pop, scanStream, MONITOR), node-redis in RESP2 and RESP3 (its transactions and
/// WatchError, defineScript, pub/sub, client-side caching), the redlock package, and both clients' Sentinel support
/// across a leader kill -9. Each program asserts with node:assert and prints OK (Clients/node/*.js).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class NodeClientTests(ITestOutputHelper output)
{
    private static readonly TimeSpan WriteAgainWithin = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Ioredis_NodeRedis_AndRedlock_ThroughTheLeaderAndThroughAFollower()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        var follower = cluster.Nodes.First(n => n != leader);
        foreach (var (node, role) in new[] { (leader, "leader"), (follower, "follower") })
        {
            var port = node.RespPort.ToString(CultureInfo.InvariantCulture);
            await RunOkAsync("ioredis-client.js", port, $"io-{role}");
            await RunOkAsync("node-redis-client.js", port, $"nr2-{role}", "2");
            await RunOkAsync("node-redis-client.js", port, $"nr3-{role}", "3");
            await RunOkAsync("redlock-client.js", port, $"rl-{role}");
        }
    }

    [Theory]
    [InlineData("ioredis")]
    [InlineData("node-redis")]
    public async Task SentinelClient_FindsTheLeader_AndWritesAgainAfterTheLeaderIsKilled(string client)
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        var ports = string.Join(',', cluster.Nodes.Select(static n => n.RespPort));
        var killFile = Path.Combine(Path.GetTempPath(), $"raftkv-node-sentinel-{Guid.NewGuid():N}");
        using var process = NodeJs.Start("sentinel-failover.js",
            [client, ports, WriteAgainWithin.TotalSeconds.ToString(CultureInfo.InvariantCulture), killFile]);
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var ready = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var before = await process.StandardOutput.ReadLineAsync(ready.Token);
            if (before != $"before {leader.RespPort}")
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"{client} first wrote through '{before}', the leader is {leader.RespPort}: {await ReadRestAsync(process, stderr)}");
            }

            leader.Kill();
            await File.WriteAllTextAsync(killFile, "killed");
            var rest = await ReadRestAsync(process, stderr);
            Assert.True(process.ExitCode == 0, $"{client} did not write again: {rest}");
            var after = rest.Split(' ');
            Assert.Equal("after", after[0]);
            Assert.NotEqual(leader.RespPort.ToString(CultureInfo.InvariantCulture), after[1]);
            Assert.Contains(cluster.Nodes, n => n != leader && n.RespPort.ToString(CultureInfo.InvariantCulture) == after[1]);
            output.WriteLine($"{client} wrote again through {after[1]} {after[2]} ms after the kill was signalled");
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            File.Delete(killFile);
        }
    }

    private static async Task<string> ReadRestAsync(System.Diagnostics.Process process, Task<string> stderr)
    {
        using var limit = new CancellationTokenSource(WriteAgainWithin + TimeSpan.FromSeconds(30));
        var stdout = await process.StandardOutput.ReadToEndAsync(limit.Token);
        await process.WaitForExitAsync(limit.Token);
        return (stdout + await stderr).Trim();
    }

    private async Task RunOkAsync(string program, params string[] arguments)
    {
        var (exit, text) = await NodeJs.RunAsync(program, arguments);
        output.WriteLine($"{program} {string.Join(' ', arguments)}: {text}");
        Assert.True(exit == 0 && text.EndsWith("OK", StringComparison.Ordinal), $"{program} {string.Join(' ', arguments)} failed ({exit}): {text}");
    }
}
