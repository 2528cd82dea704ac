using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using RaftKV.Grpc.V1;
using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>gRPC statuses for a follower that redirects and a node without a leader; server reflection.</summary>
[Collection(ProcessCollection.Name)]
public sealed class GrpcErrorTests
{
    private static ByteString B(string text) => ByteString.CopyFromUtf8(text);

    [Fact]
    public async Task RedirectingFollower_IsUnavailableWithTheLeadersAddress_ANodeWithoutLeader_IsUnavailable()
    {
        await using var cluster = await ProcessCluster.StartAsync(3, new Dictionary<string, string> { ["RaftKV:FollowerMode"] = "Redirect" });
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = cluster.Nodes.First(n => n != leader);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{follower.GrpcPort}");
        var kv = new Kv.KvClient(channel);

        var moved = await Assert.ThrowsAsync<RpcException>(async () =>
            await kv.PutAsync(new PutRequest { Key = B("k"), Value = B("v") }, deadline: DateTime.UtcNow.AddMinutes(1)));
        Assert.Equal((StatusCode.Unavailable, $"MOVED 0 {leader.Endpoint}"), (moved.StatusCode, moved.Status.Detail));
        Assert.Equal(leader.Endpoint, moved.Trailers.GetValue("raftkv-leader"));

        // Reflection lists the services, as grpcurl's "list" asks.
        var reflection = new ServerReflection.ServerReflectionClient(channel);
        using (var call = reflection.ServerReflectionInfo(deadline: DateTime.UtcNow.AddMinutes(1)))
        {
            await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
            await call.RequestStream.CompleteAsync();
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(static s => s.Name).ToList();
            Assert.Contains("raftkv.v1.Kv", services);
            Assert.Contains("raftkv.v1.Txn", services);
            Assert.Contains("raftkv.v1.Lock", services);
        }

        // With the other two members gone, the follower has no leader: Unavailable (or, for a read caught by the change,
        // Unavailable too), never a reply.
        foreach (var other in cluster.Nodes.Where(n => n != follower))
            other.Kill();
        var status = StatusCode.OK;
        for (var attempt = 0; attempt < 120 && status != StatusCode.Unavailable; attempt++)
        {
            try
            {
                await kv.GetAsync(new GetRequest { Key = B("k") }, deadline: DateTime.UtcNow.AddSeconds(30));
                status = StatusCode.OK;
                await Task.Delay(500);
            }
            catch (RpcException e)
            {
                status = e.StatusCode;
                if (status != StatusCode.Unavailable)
                    Assert.Equal(StatusCode.Unavailable, e.StatusCode);
            }
        }

        Assert.Equal(StatusCode.Unavailable, status);
    }
}
