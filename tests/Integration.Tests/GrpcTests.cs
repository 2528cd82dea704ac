using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using RaftKV.Grpc.V1;
using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>The gRPC API through a real gRPC client (Grpc.Net.Client over HTTP/2) against real node processes.</summary>
[Collection(ProcessCollection.Name)]
public sealed class GrpcTests
{
    [Fact]
    public async Task SetGetDeleteExecute_OnFollowerAndLeader_SeeTheSameCommittedState()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = cluster.Nodes.First(n => n != leader);
        using var followerChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{follower.GrpcPort}");
        using var leaderChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{leader.GrpcPort}");
        var viaFollower = new Kv.KvClient(followerChannel);
        var viaLeader = new Kv.KvClient(leaderChannel);

        await viaFollower.SetAsync(new SetRequest { Key = ByteString.CopyFromUtf8("g"), Value = ByteString.CopyFromUtf8("grpc") });
        var got = await viaLeader.GetAsync(new GetRequest { Key = ByteString.CopyFromUtf8("g") });
        Assert.True(got.Found);
        Assert.Equal("grpc", got.Value.ToStringUtf8());

        var incr = await viaLeader.ExecuteAsync(new ExecuteRequest { Args = { ByteString.CopyFromUtf8("INCRBY"), ByteString.CopyFromUtf8("n"), ByteString.CopyFromUtf8("5") } });
        Assert.Equal(5, incr.Reply.Integer);
        var wrongType = await viaFollower.ExecuteAsync(new ExecuteRequest { Args = { ByteString.CopyFromUtf8("INCR"), ByteString.CopyFromUtf8("g") } });
        Assert.Equal("ERR value is not an integer or out of range", wrongType.Reply.Error);

        var deleted = await viaFollower.DeleteAsync(new DeleteRequest { Keys = { ByteString.CopyFromUtf8("g"), ByteString.CopyFromUtf8("n"), ByteString.CopyFromUtf8("none") } });
        Assert.Equal(2, deleted.Deleted);
        Assert.False((await viaLeader.GetAsync(new GetRequest { Key = ByteString.CopyFromUtf8("g") })).Found);

        var empty = await Assert.ThrowsAsync<RpcException>(async () => await viaLeader.ExecuteAsync(new ExecuteRequest()));
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
    }
}
