using System.Net;
using Microsoft.Extensions.DependencyInjection;
using RaftKV.Node.Raft;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// The snapshot-download endpoint serves the whole keyspace: it is reachable only where the node's snapshot listener is
/// (loopback unless the Raft endpoint or SnapshotTransferEndpoint says otherwise), never on the ports clients use.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AdminEndpointTests
{
    [Fact]
    public async Task SnapshotDownload_IsNotServedOnTheGrpcPort_OnlyOnTheSnapshotListener()
    {
        var grpcPort = TestPorts.Next();
        await using var cluster = await TestCluster.StartAsync(1, new() { ["GrpcEndpoint"] = $"127.0.0.1:{grpcPort}" });
        var node = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(node.RespPort))
        {
            Assert.Equal("OK", (await client.SendAsync("SET", "secret", "value")).Text());
            Assert.Equal("Background snapshot started", (await client.SendAsync("RAFTKV.SNAPSHOT")).Text());
        }

        var name = new DirectoryInfo(Path.Combine(node.DataDirectory, "snapshots")).GetFiles()
            .Select(static f => f.Name).First(static n => !n.Contains('.', StringComparison.Ordinal));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        // gRPC's listener speaks HTTP/2 without TLS (h2c, prior knowledge), as gRPC clients do.
        using var overGrpc = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{grpcPort}{SnapshotOffers.RoutePrefix}{name}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var refused = await http.SendAsync(overGrpc);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Empty(await refused.Content.ReadAsByteArrayAsync());

        // On the snapshot listener a member (with the proof a leader's manifest carries) gets the file.
        var secret = await MemberHandshake.SecretAsync(node);
        using var overSnapshotPort = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{node.SnapshotPort}{SnapshotOffers.RoutePrefix}{name}");
        overSnapshotPort.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Bearer", RaftKV.Node.Security.MemberProof.ForSnapshot(secret, name));
        using var served = await http.SendAsync(overSnapshotPort);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task SnapshotListener_ByDefault_IsBoundToTheRaftEndpointsLoopbackAddress()
    {
        await using var cluster = await TestCluster.StartAsync(1, new() { ["SnapshotTransferEndpoint"] = "" });
        var node = await cluster.WaitForLeaderAsync();

        var url = node.App!.Services.GetRequiredService<SnapshotOffers>().BaseUrl;

        Assert.StartsWith("http://127.0.0.1:", url);
    }
}
