using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>The real redis-cli against real node processes.</summary>
[Collection(ProcessCollection.Name)]
public sealed class RedisCliTests
{
    [Fact]
    public async Task SetOnFollower_AnswersOk_GetOnEveryNodeAnswersValue()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = cluster.Nodes.First(n => n != leader);

        Assert.Equal("OK", await RedisCli.RunAsync(follower.RespPort, "set", "a", "1"));
        foreach (var node in cluster.Nodes)
            Assert.Equal("1", await RedisCli.RunAsync(node.RespPort, "get", "a"));

        Assert.Equal("ERR unknown command 'x', with args beginning with: 'y' ", await RedisCli.RunAsync(leader.RespPort, "x", "y"));
        Assert.Equal("PONG", await RedisCli.RunAsync(follower.RespPort, "ping"));
        Assert.Contains("role:slave", await RedisCli.RunAsync(follower.RespPort, "info", "replication"));
        Assert.Contains("raft_term:", await RedisCli.RunAsync(follower.RespPort, "info", "raft"));
    }

    // SHUTDOWN stops the node it is sent to, as SIGTERM does (exit code 0, where DotNext's stop threw and aborted the
    // process, 134), with no reply (redis-cli prints nothing);
    // the other members go on. ABORT (no shutdown in progress) and bad arguments are refused with Redis's words.
    [Fact]
    public async Task Shutdown_StopsTheNodeItIsSentTo_AndTheOthersGoOn()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = cluster.Nodes.First(n => n != leader);

        Assert.Equal("ERR No shutdown in progress.", await RedisCli.RunAsync(follower.RespPort, "shutdown", "abort"));
        Assert.Equal("ERR syntax error", await RedisCli.RunAsync(follower.RespPort, "shutdown", "later"));
        Assert.Equal("ERR syntax error", await RedisCli.RunAsync(follower.RespPort, "shutdown", "save", "nosave"));
        Assert.True(follower.IsRunning);

        Assert.Equal("", await RedisCli.RunAsync(follower.RespPort, "shutdown", "nosave"));
        for (var i = 0; i < 300 && follower.IsRunning; i++)
            await Task.Delay(100);
        Assert.True(follower.ExitCode == 0, $"exit code {follower.ExitCode}; output:\n{follower.Output}");

        // The two others still form a majority (an election on a busy machine may answer CLUSTERDOWN for a moment).
        var reply = "";
        for (var i = 0; i < 20 && reply != "OK"; i++)
        {
            leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            reply = await RedisCli.RunAsync(leader.RespPort, "set", "after-shutdown", "1");
        }

        Assert.Equal("OK", reply);

        // SIGTERM (systemctl stop) takes the same graceful path: a clean exit, not an abort, on a member of a live cluster.
        // (Not the node just restarted: a process signalled before its host is up dies by the default action, 143.)
        cluster.Restart(follower.Index);
        leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        var other = cluster.Nodes.First(n => n != leader && n != follower);
        Assert.True(other.Terminate(TimeSpan.FromSeconds(60)));
        Assert.True(other.ExitCode == 0, $"exit code {other.ExitCode}; output:\n{other.Output}");
    }
    // Regression: a node's graceful stop waited for every connected client to leave, up to the host's 30 s shutdown
    // timeout (32 s measured with one idle client). Redis closes its clients when it stops; so does a node now: the idle
    // client reads EOF, the blocked one is dropped after a 2 s grace, and the process exits 0 well before 30 s.
    [Fact]
    public async Task Sigterm_WithIdleAndBlockedClientsConnected_ClosesThem_AndExitsBeforeTheShutdownTimeout()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var node = cluster.Nodes.First(n => n != leader);
        using var idle = new System.Net.Sockets.TcpClient();
        await idle.ConnectAsync("127.0.0.1", node.RespPort);
        using var blocked = new System.Net.Sockets.TcpClient();
        await blocked.ConnectAsync("127.0.0.1", node.RespPort);
        var idleStream = idle.GetStream();
        await idleStream.WriteAsync("PING\r\n"u8.ToArray());
        var pong = new byte[7];
        await idleStream.ReadExactlyAsync(pong);
        Assert.Equal("+PONG\r\n", System.Text.Encoding.ASCII.GetString(pong));
        await blocked.GetStream().WriteAsync("BLPOP nothing-here 0\r\n"u8.ToArray());
        await Task.Delay(500);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(node.Terminate(TimeSpan.FromSeconds(60)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the node took {clock.Elapsed.TotalSeconds:F1} s to stop");
        Assert.True(node.ExitCode == 0, $"exit code {node.ExitCode}; output:\n{node.Output}");
        using var eof = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await idleStream.ReadAsync(new byte[16], eof.Token));
    }
}
