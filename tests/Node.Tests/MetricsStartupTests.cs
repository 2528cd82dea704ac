using System.Globalization;
using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RaftKV.Node.Raft;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Metrics and log scopes that hold from the node's first moment. Counters count from the process start, whatever happened before the metrics exporter or the log watcher
/// existed (issue 18: on a clean-clone CI run the leader of a process cluster had no
/// <c>raftkv_leader_changes_total</c> series, its one leader change having come before the counter was listened to).
/// The node is made to win its election while its start-up is still under way, by a hosted service that waits for the
/// leadership right after the Raft host has started, so the race is decided the same way on every run.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MetricsStartupTests
{
    [Fact]
    public async Task LeaderElectedBeforeTheRestOfTheNodeStarted_ReportsItsLeaderChange()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = cluster.Nodes[0];
        node.TestServices = static services =>
        {
            // Right after RaftHost's hosted service (registered next to the RaftHost singleton), so every hosted service
            // registered later, the metrics and the log watcher among them, starts after the election.
            var raftHost = services.ToList().FindIndex(static d => d.ServiceType == typeof(RaftHost));
            Assert.Equal(typeof(IHostedService), services[raftHost + 1].ServiceType);
            services.Insert(raftHost + 2, ServiceDescriptor.Singleton<IHostedService, WaitForLeadership>());
        };
        await cluster.StopNodeAsync(0);
        await cluster.StartNodeAsync(0);
        await cluster.WaitForLeaderAsync();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var text = await http.GetStringAsync($"http://127.0.0.1:{node.MetricsPort}/metrics");

        Assert.True(Sample(text, "raftkv_leader_changes_total") >= 1, text);
        Assert.Equal(1, Sample(text, "raftkv_raft_leader"));
    }

    [Fact]
    public async Task Log_ReportsItsFsyncDurations()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(node.RespPort))
            Assert.Equal("OK", await client.SendRetryingAsync("SET", "k", "v"));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var text = await http.GetStringAsync($"http://127.0.0.1:{node.MetricsPort}/metrics");

        Assert.True(Sample(text, "raftkv_log_fsync_duration_seconds_count") >= 1, text);
        Assert.InRange(Sample(text, "raftkv_log_fsync_duration_seconds_sum"), 0, 60);
    }

    [Fact]
    public async Task EveryLogLine_CarriesTheNodeAndItsCurrentTermAsScope()
    {
        var logs = new ScopedLogs();
        await using var cluster = await TestCluster.StartAsync(3);
        var node = cluster.Nodes[0];
        node.TestServices = services => services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs);
        await cluster.StopNodeAsync(0);
        await cluster.StartNodeAsync(0);
        await cluster.WaitForLeaderAsync();

        // A warning from a Kestrel connection's thread: an HTTP request on the RESP port is logged and refused.
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
            await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync($"http://127.0.0.1:{node.RespPort}/", new StringContent("x")));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        // Other warnings (a Raft connection during the restart) may come first.
        while (!logs.Entries.Any(static e => e.Message.StartsWith("Possible SECURITY ATTACK", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        var entry = Assert.Single(logs.Entries, static e => e.Message.StartsWith("Possible SECURITY ATTACK", StringComparison.Ordinal));
        Assert.Equal("node0", entry.Scope["Node"]);
        var term = Assert.IsType<long>(entry.Scope["Term"]);
        Assert.True(term >= 1, $"term {term}: three nodes elected a leader, so the term is at least 1");
        Assert.InRange(term, 1, node.Raft.Cluster.Term);
    }

    /// <summary>The value of the first sample of <paramref name="name"/>; NaN if there is none.</summary>
    private static double Sample(string text, string name)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }

        return double.NaN;
    }

    /// <summary>Holds the node's start-up until the (single-node) Raft host leads.</summary>
    private sealed class WaitForLeadership(RaftHost raft) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!raft.IsLeader && DateTime.UtcNow < deadline)
                await Task.Delay(20, cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
