using System.Net;
using RaftKV.Node.Raft;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Issue 14: node-to-node traffic outside Raft (the forwarding handshake, snapshot downloads) is accepted only from
/// cluster members, without TLS too. Before, any client that sent RAFTKV-INTERNAL-FORWARD became a "forwarded"
/// connection, and the snapshot endpoint served the whole keyspace to anyone who asked.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterMemberTests
{
    // A forwarded connection on a follower is never forwarded again: it answers CLUSTERDOWN. A plain client that
    // merely sends the handshake must stay an ordinary client, whose write the follower relays to the leader.
    // The secret proposal ran inside DotNext's leader event, which a one-node cluster raises within RaftCluster.StartAsync,
    // and spun there on a read barrier until CommandTimeoutMs ran out: the node did not start for that long (10 s of CPU
    // per node start by default). With a 180 s timeout the start must still finish well within 90 s.
    [Fact]
    public async Task OneNodeCluster_WithALongCommandTimeout_StartsWithoutWaitingForIt_AndSetsTheSecret()
    {
        var run = Task.Run(static async () =>
        {
            await using var cluster = await TestCluster.StartAsync(1, new() { ["CommandTimeoutMs"] = "180000" });
            var node = await cluster.WaitForLeaderAsync();
            return await MemberHandshake.SecretAsync(node);
        });
        Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(90))));
        Assert.NotEmpty(await run);
    }

    [Fact]
    public async Task PlainClient_SendingTheForwardingHandshake_IsRefused_AndStaysAnOrdinaryClient()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        var logs = LogCapture.AttachTo(follower);

        await using (var client = await RespTestClient.ConnectAsync(follower.RespPort))
        {
            Assert.StartsWith("-ERR unknown command 'RAFTKV-INTERNAL-FORWARD'", (await client.SendAsync("RAFTKV-INTERNAL-FORWARD")).Text());
            Assert.Equal("OK", await client.SendRetryingAsync("SET", "posed", "1"));

            // A made-up proof is refused the same way, with or without a nonce asked for first.
            Assert.StartsWith("-ERR unknown command", (await client.SendAsync("RAFTKV-INTERNAL-FORWARD", "PROOF", new string('0', 64))).Text());
            var nonce = await client.SendAsync("RAFTKV-INTERNAL-FORWARD", "NONCE");
            Assert.Equal(32, nonce.Text()!.Length);
            Assert.StartsWith("-ERR unknown command", (await client.SendAsync("RAFTKV-INTERNAL-FORWARD", "PROOF", new string('0', 64))).Text());
            Assert.Equal("2", (await client.SendAsync("INCR", "posed")).Text());

            // Still RESP2 (the handshake switches a forwarded connection to RESP3).
            Assert.Contains(" resp=2 ", (await client.SendAsync("CLIENT", "INFO")).Text());
        }

        Assert.Equal(3, logs.Lines.Count(static line => line.Contains("Refused the forwarding handshake", StringComparison.Ordinal)));

        await using var onLeader = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("2", (await onLeader.SendAsync("GET", "posed")).Text());
    }

    // The forwarding connections themselves prove membership: writes through a follower succeed, also after the leader
    // changed (a new forwarding connection, a new nonce).
    [Fact]
    public async Task WritesThroughAFollower_AreForwarded_AlsoAfterALeaderChange()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using (var client = await RespTestClient.ConnectAsync(follower.RespPort))
            Assert.Equal("OK", await client.SendRetryingAsync("SET", "a", "1"));

        await cluster.StopNodeAsync(leader.Index);
        var next = await cluster.WaitForLeaderAsync();
        var stillFollower = cluster.Nodes.First(n => n.IsRunning && n != next);
        await using (var client = await RespTestClient.ConnectAsync(stillFollower.RespPort))
        {
            Assert.Equal("2", await client.SendRetryingAsync("INCR", "a"));
            Assert.Equal("2", (await client.SendAsync("GET", "a")).Text());
        }
    }

    [Fact]
    public async Task SnapshotDownload_WithoutTheMemberProof_GetsUnauthorizedAndNoBytes_WithItTheFile()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        var file = await TakeSnapshotAsync(node);

        using var http = new HttpClient();
        var url = $"http://127.0.0.1:{node.SnapshotPort}{SnapshotOffers.RoutePrefix}{file.Name}";
        using (var response = await http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, url))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", new string('0', 64));
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }

        // Nor does a name that is not a snapshot tell anything apart: the proof is checked first.
        using (var response = await http.GetAsync($"http://127.0.0.1:{node.SnapshotPort}{SnapshotOffers.RoutePrefix}1-1"))
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        // With the member proof for the file (what a leader's manifest carries), the file comes.
        using (var request = new HttpRequestMessage(HttpMethod.Get, url))
        {
            var proof = RaftKV.Node.Security.MemberProof.ForSnapshot(node.Raft.StateMachine.ClusterSecret!, file.Name);
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", proof);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(await File.ReadAllBytesAsync(file.FullName), await response.Content.ReadAsByteArrayAsync());
        }
    }

    // The leader's manifest carries the proof for its file, and the follower's downloader presents it: a lagging follower
    // still catches up by a download (every snapshot above 1 KiB is offered for download here).
    [Fact]
    public async Task LaggingFollower_DownloadsTheSnapshot_WithTheProofFromTheManifest()
    {
        await using var cluster = await TestCluster.StartAsync(3, new()
        {
            ["SnapshotIntervalEntries"] = "50",
            ["SnapshotInlineBytes"] = "1024",
        });
        var leader = await cluster.WaitForLeaderAsync();
        await SecretOfEveryNodeAsync(cluster);
        var lagging = await CatchUpBehindASnapshotAsync(cluster, leader, valueBytes: 100);
        Assert.True(leader.Raft.StateMachine.LastSnapshotBytes > 1024, "the leader's snapshot is not offered for download");
        Assert.True(lagging.Raft.StateMachine.Downloads.Completed >= 1, "the follower downloaded no snapshot");
        Assert.Single((await cluster.DigestsAsync()).Distinct());
    }

    // The secret is replicated state: every node holds the same bytes (compared here through the state machines, never
    // through a client command), a follower that catches up by snapshot gets it from the snapshot, and restarts keep it.
    [Fact]
    public async Task ClusterSecret_IsIdenticalOnEveryNode_AndSurvivesASnapshotInstallAndARestart()
    {
        await using var cluster = await TestCluster.StartAsync(3, new() { ["SnapshotIntervalEntries"] = "50" });
        var leader = await cluster.WaitForLeaderAsync();
        var secret = await SecretOfEveryNodeAsync(cluster);
        Assert.Equal(32, secret.Length);

        var lagging = await CatchUpBehindASnapshotAsync(cluster, leader, valueBytes: 1);
        Assert.Equal(1, lagging.Raft.StateMachine.RestoreCount);
        Assert.Equal(secret, await SecretOfEveryNodeAsync(cluster));

        foreach (var node in cluster.Nodes)
            await cluster.StopNodeAsync(node.Index);
        foreach (var node in cluster.Nodes)
            await cluster.StartNodeAsync(node.Index);
        await cluster.WaitForLeaderAsync();
        Assert.Equal(secret, await SecretOfEveryNodeAsync(cluster));
    }

    // A configured secret is the one the first leader proposes; it shows in no INFO section, CONFIG GET or MONITOR feed
    // (the forwarding handshake a follower sends the leader included), nor in a log line.
    [Fact]
    public async Task ConfiguredClusterSecret_IsUsed_AndNeverShown()
    {
        const string configured = "members-only-0d5f8a2c9b7e";
        await using var cluster = await TestCluster.StartAsync(3, new() { ["ClusterSecret"] = configured });
        var leader = await cluster.WaitForLeaderAsync();
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(configured), await SecretOfEveryNodeAsync(cluster));
        var logs = cluster.Nodes.Select(LogCapture.AttachTo).ToList();
        var follower = cluster.Nodes.First(n => n != leader);

        await using var monitor = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await monitor.SendAsync("MONITOR")).Text());
        await using (var client = await RespTestClient.ConnectAsync(follower.RespPort))
            Assert.Equal("OK", await client.SendRetryingAsync("SET", "via", "follower"));
        var fed = new List<string>();
        while (!fed.Any(static line => line.Contains("\"SET\"", StringComparison.Ordinal)))
            fed.Add((await monitor.ReadReplyAsync()).Text()!);
        Assert.DoesNotContain(fed, static line => line.Contains("RAFTKV-INTERNAL", StringComparison.OrdinalIgnoreCase));

        var hex = Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(configured));
        foreach (var node in cluster.Nodes)
        {
            await using var client = await RespTestClient.ConnectAsync(node.RespPort);
            foreach (var shown in new[] { (await client.SendAsync("INFO", "everything")).Text()!, Flatten(await client.SendAsync("CONFIG", "GET", "*")) })
            {
                Assert.DoesNotContain(configured, shown, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(hex, shown, StringComparison.OrdinalIgnoreCase);
            }
        }

        Assert.DoesNotContain(logs.SelectMany(static l => l.Lines), line => line.Contains(configured, StringComparison.Ordinal));
    }

    private static string Flatten(RaftKV.Protocol.Replies.Reply reply) => reply is RaftKV.Protocol.Replies.ArrayReply array
        ? string.Join("\n", array.Items.Select(Flatten))
        : reply.Text() ?? "";

    // Stops a follower, writes past the leader's next snapshot (SnapshotIntervalEntries 50), starts the follower again
    // and waits until it has caught up, which it can only do from the snapshot: the log before it is compacted.
    private static async Task<TestNode> CatchUpBehindASnapshotAsync(TestCluster cluster, TestNode leader, int valueBytes)
    {
        var lagging = cluster.Nodes.First(n => n != leader);
        await cluster.StopNodeAsync(lagging.Index);
        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            for (var i = 0; i < 200; i++)
                Assert.Equal("OK", await client.SendRetryingAsync("SET", $"k{i % 37}", new string('v', valueBytes) + i));
        }

        Assert.True(leader.Raft.StateMachine.SnapshotIndex > 0, "the leader took no snapshot");
        await cluster.StartNodeAsync(lagging.Index);
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        return lagging;
    }

    // Waits until every running node has applied a secret, and returns it once they all agree.
    private static async Task<byte[]> SecretOfEveryNodeAsync(TestCluster cluster)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var secrets = cluster.Nodes.Where(static n => n.IsRunning).Select(static n => n.Raft.StateMachine.ClusterSecret).ToList();
            if (secrets.All(static s => s is not null) && secrets.All(s => s!.SequenceEqual(secrets[0]!)))
                return secrets[0]!;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the nodes hold no cluster secret, or different ones");
            await Task.Delay(50);
        }
    }

    private static async Task<FileInfo> TakeSnapshotAsync(TestNode node)
    {
        await using (var client = await RespTestClient.ConnectAsync(node.RespPort))
        {
            for (var i = 0; i < 20; i++)
                Assert.Equal("OK", await client.SendRetryingAsync("SET", $"k{i}", $"v{i}"));
            Assert.Equal("Background snapshot started", (await client.SendAsync("RAFTKV.SNAPSHOT")).Text());
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (node.Raft.StateMachine.SnapshotIndex == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        var file = SnapshotFile.List(node.Raft.StateMachine.Location).FirstOrDefault()
                   ?? throw new TimeoutException("no snapshot was taken");
        return file.File;
    }
}
