using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>
/// Client-side caching with a real client (issue 16, item 4): redis-py 4.3 speaks RESP2 only, so it uses Redis's
/// two-connection mode, CLIENT TRACKING ON REDIRECT to a connection subscribed to __redis__:invalidate, on a follower,
/// while the writes are made on the leader. (StackExchange.Redis has no client-side caching.)
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class TrackingClientTests
{
    [Fact]
    public async Task RedisPy_TrackingWithRedirectOnAFollower_IsInvalidatedByLeaderWrites()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = cluster.Nodes.First(n => n != leader);
        var script = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Scripts", "redis_py_tracking.py"));
        var ports = new[] { leader.RespPort, follower.RespPort }
            .Select(static p => p.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var (exit, output) = await Python.RunAsync(script, [.. ports, "track:"]);
        var text = output.Trim();
        Assert.True(exit == 0, $"redis-py script failed ({exit}): {text}");
        Assert.Equal("OK", text);
    }
}
