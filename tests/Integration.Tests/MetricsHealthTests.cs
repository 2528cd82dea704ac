using System.Globalization;
using System.Text;
using Grpc.Health.V1;
using Grpc.Net.Client;
using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>
/// The operators' endpoint of real node processes (issue 18): <c>/metrics</c> counts what clients really sent and
/// reports the cluster's state; <c>/health/ready</c> and gRPC health say whether a node can serve: 200 (SERVING) with a
/// leader, 503 (NOT_SERVING) on a node cut off from every other member, by killing them or by a real partition.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class MetricsHealthTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Metrics_AfterCommands_CountExactlyWhatWasSent_AndReportClusterState()
    {
        await using var cluster = await ProcessCluster.StartAsync(3, ProcessCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync(Patience);
        var commands = new StringBuilder();
        for (var i = 0; i < 5; i++)
            commands.Append(Resp("SET", "k" + i.ToString(CultureInfo.InvariantCulture), "v"));
        commands.Append(Resp("SET", "temp", "x", "EX", "1000"));
        for (var i = 0; i < 3; i++)
            commands.Append(Resp("GET", "k0"));
        commands.Append(Resp("INCR", "counter")).Append(Resp("INCR", "counter")).Append(Resp("INCR", "k0")); // the last one: not an integer
        commands.Append(Resp("QUIT"));

        var replies = Encoding.UTF8.GetString(await RawResp.ExchangeAsync(leader.RespPort, Encoding.ASCII.GetBytes(commands.ToString()), TimeSpan.FromSeconds(30)));

        Assert.Equal(7, replies.Split("+OK\r\n").Length - 1);
        Assert.Contains("$1\r\nv", await RawResp.TryCommandAsync(leader.RespPort, Patience, "GET", "k0") ?? "", StringComparison.Ordinal);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var url = $"http://127.0.0.1:{leader.MetricsPort}/metrics";
        // The leader asks each member for its progress once a second: both followers report, and once they have
        // applied everything neither lags (before, each member's lag series was missing: DotNext keeps it private).
        // A member counts as available while the leader's last request to it succeeded: one late reply on a loaded
        // machine drops it for a moment.
        var text = await WaitForAsync(http, url, t => Sample(t, "raftkv_keys") == 7
            && Count(t, "raftkv_member_apply_lag") == 2 && SumOf(t, "raftkv_member_apply_lag") == 0 && SumOf(t, "raftkv_member_commit_lag") == 0
            && SumOf(t, "raftkv_member_available") == 2);
        Assert.Equal(2, Count(text, "raftkv_member_apply_lag"));
        Assert.Equal(2, Count(text, "raftkv_member_commit_lag"));
        Assert.Equal(0, SumOf(text, "raftkv_member_apply_lag"));
        foreach (var follower in cluster.Nodes.Where(n => n != leader))
            Assert.Equal(0, Sample(text, "raftkv_member_apply_lag", $"member=\"127.0.0.1:{follower.RaftPort}\""));

        Assert.Equal(6, Sample(text, "raftkv_commands_total", "command=\"set\"", "protocol=\"resp\""));
        Assert.Equal(4, Sample(text, "raftkv_commands_total", "command=\"get\"", "protocol=\"resp\""));
        Assert.Equal(3, Sample(text, "raftkv_commands_total", "command=\"incr\"", "protocol=\"resp\""));
        // Errors: one series, for the command that answered one.
        Assert.Equal(1, Sample(text, "raftkv_command_errors_total", "command=\"incr\"", "protocol=\"resp\""));
        Assert.Equal(1, Count(text, "raftkv_command_errors_total"));
        Assert.Equal(6, Sample(text, "raftkv_command_duration_seconds_count", "command=\"set\"", "protocol=\"resp\""));
        Assert.InRange(Sample(text, "raftkv_command_duration_seconds_sum", "command=\"set\"", "protocol=\"resp\""), 0, 6 * 30);
        Assert.Equal(1, Sample(text, "raftkv_keys_expiring"));
        Assert.Equal(3, Sample(text, "raftkv_raft_members"));
        Assert.Equal(1, Sample(text, "raftkv_raft_has_leader"));
        Assert.True(Sample(text, "raftkv_raft_term") >= 1, text);
        // Group commit may put several of the 8 writes in one entry: every entry that carried commands is applied.
        Assert.True(Sample(text, "raftkv_log_entry_commands_sum") >= 8, text);
        Assert.True(Sample(text, "raftkv_raft_applied_index") >= Sample(text, "raftkv_log_entry_commands_count"), text);
        Assert.True(Sample(text, "raftkv_raft_commit_index") >= Sample(text, "raftkv_raft_applied_index"), text);
        Assert.True(Sample(text, "raftkv_connections_received_total") >= 1, text);
        Assert.True(Sample(text, "raftkv_memory_resident_bytes") > 10_000_000, text);
        Assert.True(Sample(text, "raftkv_disk_free_bytes") > 0, text);
        // The leader of a new 3-node cluster stood for election at least once and saw itself become leader.
        Assert.True(Sample(text, "raftkv_elections_total") >= 1, text);
        Assert.True(Sample(text, "raftkv_leader_changes_total") >= 1, text);
        Assert.Equal(1, Sample(text, "raftkv_raft_leader"));

        // A linearizable read on the leader is answered under the lease or after a round; a read pipelined behind
        // writes may instead ride in their log entry, so of the 4 GETs the one sent alone is sure to be counted.
        Assert.InRange(Sample(text, "raftkv_reads_total", "kind=\"lease\"") + Sample(text, "raftkv_reads_total", "kind=\"round\""), 1, 4);

        // Each write was flushed to disk and replicated: at least one fsync and one round, each well under the timeout.
        foreach (var family in new[] { "raftkv_log_fsync_duration_seconds", "raftkv_replication_round_duration_seconds", "raftkv_write_commit_duration_seconds" })
        {
            Assert.True(Sample(text, family + "_count") >= 1, family + "\n" + text);
            Assert.InRange(Sample(text, family + "_sum") / Sample(text, family + "_count"), 0, 10);
        }

        Assert.Equal(0, Sample(text, "raftkv_snapshot_downloads_total"));
        Assert.Equal(2, SumOf(text, "raftkv_member_available"));
        Assert.Equal(0, Sample(text, "raftkv_clients_blocked"));
        Assert.True(Sample(text, "raftkv_memory_gc_heap_bytes") > 0, text);
        Assert.InRange(Sample(text, "raftkv_memory_resident_bytes"), Sample(text, "raftkv_memory_gc_heap_bytes"), double.MaxValue);
        foreach (var family in new[] { "raftkv_log_entry_commands", "raftkv_write_commit_duration_seconds", "raftkv_replication_round_duration_seconds", "raftkv_log_fsync_duration_seconds" })
            Assert.Contains("# TYPE " + family + " histogram", text, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_collections_total", text, StringComparison.Ordinal);

        // The shipped dashboard and alert rules query only metrics a node exports (the leader has every series).
        var queried = MonitoringFiles.MetricNames();
        Assert.True(queried.Count >= 20, string.Join(", ", queried));
        var missing = queried.Where(q => !text.Split('\n').Any(l => l.StartsWith(q.Name + "{", StringComparison.Ordinal) || l.StartsWith(q.Name + " ", StringComparison.Ordinal))).ToList();
        Assert.True(missing.Count == 0, "queried by deploy/monitoring but not exported: " + string.Join(", ", missing.Select(static m => $"{m.Name} ({m.File})")));

        // Off the client ports: the gRPC listener does not serve it.
        using var h2 = new HttpClient { DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await h2.GetAsync($"http://127.0.0.1:{leader.GrpcPort}/metrics")).StatusCode);
    }

    [Fact]
    public async Task HealthReady_Is200WithALeader_And503OnANodeCutOffFromTheOthers_GrpcHealthAgrees()
    {
        await using var cluster = await ProcessCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync(Patience);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        foreach (var node in cluster.Nodes)
        {
            await WaitForStatusAsync(http, $"http://127.0.0.1:{node.MetricsPort}/health/ready", 200);
            Assert.Equal(200, (int)(await http.GetAsync($"http://127.0.0.1:{node.MetricsPort}/health/live")).StatusCode);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await GrpcHealthAsync(node));
        }

        var survivor = cluster.Nodes.First(n => n != leader);
        foreach (var node in cluster.Nodes.Where(n => n != survivor))
            node.Kill();

        await WaitForStatusAsync(http, $"http://127.0.0.1:{survivor.MetricsPort}/health/ready", 503);
        Assert.Equal(200, (int)(await http.GetAsync($"http://127.0.0.1:{survivor.MetricsPort}/health/live")).StatusCode);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await GrpcHealthAsync(survivor));
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{survivor.MetricsPort}/metrics");
        Assert.Equal(0, Sample(metrics, "raftkv_raft_has_leader"));
    }

    // Needs root, cgroup2 and iptables (LoopbackPartition.Create throws the reason where they are missing): it fails
    // there rather than skip, as CI, which runs as root, always has them.
    [Fact]
    public async Task HealthReady_Is503AndGrpcNotServing_OnANodePartitionedFromTheLeader_And200AgainAfterHealing()
    {
        using var partition = LoopbackPartition.Create();
        await using var cluster = await ProcessCluster.StartAsync(3, partition: partition);
        var leader = await cluster.WaitForLeaderAsync(Patience);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        foreach (var node in cluster.Nodes)
            await WaitForStatusAsync(http, $"http://127.0.0.1:{node.MetricsPort}/health/ready", 200);

        // Every process keeps running; only the isolated follower's Raft and snapshot traffic is dropped, both ways.
        // Cut from the other follower too, it cannot win an election there and find a leader on its own side.
        var isolated = cluster.Nodes.First(n => n != leader);
        var other = cluster.Nodes.First(n => n != leader && n != isolated);
        partition.Cut(isolated, leader);
        partition.Cut(isolated, other);

        await WaitForStatusAsync(http, $"http://127.0.0.1:{isolated.MetricsPort}/health/ready", 503);
        Assert.Equal(200, (int)(await http.GetAsync($"http://127.0.0.1:{isolated.MetricsPort}/health/live")).StatusCode);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await GrpcHealthAsync(isolated));
        Assert.Equal(0, Sample(await http.GetStringAsync($"http://127.0.0.1:{isolated.MetricsPort}/metrics"), "raftkv_raft_has_leader"));

        // The majority side keeps its leader and serves writes.
        var majorityLeader = await cluster.WaitForLeaderAsync(Patience);
        Assert.NotEqual(isolated, majorityLeader);
        Assert.Contains("+OK", await RawResp.TryCommandAsync(majorityLeader.RespPort, Patience, "SET", "during-partition", "1") ?? "", StringComparison.Ordinal);
        foreach (var node in new[] { leader, other })
        {
            await WaitForStatusAsync(http, $"http://127.0.0.1:{node.MetricsPort}/health/ready", 200);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await GrpcHealthAsync(node));
        }

        // The cut was the cause: healed, the node finds the leader again.
        partition.Heal();
        await WaitForStatusAsync(http, $"http://127.0.0.1:{isolated.MetricsPort}/health/ready", 200);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await GrpcHealthAsync(isolated));
    }

    private static async Task<HealthCheckResponse.Types.ServingStatus> GrpcHealthAsync(NodeProcess node)
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{node.GrpcPort}");
        var client = new Health.HealthClient(channel);
        var reply = await client.CheckAsync(new HealthCheckRequest { Service = "" }, deadline: DateTime.UtcNow.AddSeconds(30));
        return reply.Status;
    }

    private static async Task WaitForStatusAsync(HttpClient http, string url, int expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        var last = 0;
        var body = "";
        while (DateTime.UtcNow < deadline)
        {
            // A node that answers RESP may not listen on its metrics port yet (a loaded machine starts it later).
            try
            {
                using var response = await http.GetAsync(url);
                last = (int)response.StatusCode;
                body = await response.Content.ReadAsStringAsync();
                if (last == expected)
                    return;
            }
            catch (HttpRequestException e) when (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                body = e.Message;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"{url} stayed {last} ({body}), expected {expected}");
    }

    private static async Task<string> WaitForAsync(HttpClient http, string url, Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        var text = "";
        while (DateTime.UtcNow < deadline)
        {
            text = await http.GetStringAsync(url);
            if (done(text))
                return text;
            await Task.Delay(200);
        }

        return text;
    }

    /// <summary>How many samples (label sets) of <paramref name="name"/> the scrape has.</summary>
    private static int Count(string text, string name)
        => text.Split('\n').Count(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal));

    /// <summary>The sum of every sample of <paramref name="name"/> (all its label sets).</summary>
    private static double SumOf(string text, string name)
        => text.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
            .Sum(static l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    /// <summary>The value of the first sample of <paramref name="name"/> whose labels include all of <paramref name="labels"/>; NaN if none.</summary>
    private static double Sample(string text, string name, params string[] labels)
    {
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name + "{", StringComparison.Ordinal) && !line.StartsWith(name + " ", StringComparison.Ordinal))
                continue;
            if (labels.All(l => line.Contains(l, StringComparison.Ordinal)))
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }

        return double.NaN;
    }

    private static string Resp(params string[] args)
    {
        var text = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
        foreach (var arg in args)
            text.Append('$').Append(Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
        return text.ToString();
    }
}
